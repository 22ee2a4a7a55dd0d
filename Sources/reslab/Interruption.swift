import Dispatch
import Foundation
import Lab
import Synchronization

/// Ctrl-C and SIGTERM for a headless run: instead of dying with lines still
/// in a buffer, the run is asked to stop, finishes its last line and writes
/// the `--save` checkpoint, and the command then exits 130 or 143. (The
/// command flushes each line as it prints it.)
// Why `@unchecked Sendable` is safe: `sources` is set once in init and only
// kept alive afterwards (dispatch sources are thread-safe objects); the rest
// is an atomic and a mutex.
final class Interruption: @unchecked Sendable {
    private let received = Atomic<Int32>(0)
    private let current = Mutex<Run?>(nil)
    private let sources: [any DispatchSourceSignal]

    init() {
        var made: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            made.append(DispatchSource.makeSignalSource(signal: number, queue: .global()))
        }
        sources = made
        for (source, number) in zip(sources, [SIGINT, SIGTERM]) {
            source.setEventHandler { [self] in
                received.store(number, ordering: .relaxed)
                // Before a run has started (reading a dataset) there is nothing to save: stop now.
                current.withLock { run in
                    guard let run else { exit(128 + number) }
                    run.send(.quit)
                }
            }
            source.resume()
        }
    }

    /// The run a signal stops; one at a time.
    func watch(_ run: Run?) {
        current.withLock { $0 = run }
        if let run, received.load(ordering: .relaxed) != 0 { run.send(.quit) }
    }

    /// The signal received, or 0.
    var receivedSignal: Int32 { received.load(ordering: .relaxed) }
}
