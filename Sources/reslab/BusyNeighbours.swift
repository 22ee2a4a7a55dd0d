import Foundation

/// Busy programs beside a benchmark, one per core, each a shell spinning in
/// a loop: the load of a laptop that is also screen-sharing, compiling or
/// running another notebook. They stop when `stop` is called or this
/// process ends (each watches its parent).
final class BusyNeighbours {
    private let processes: [Process]

    /// Starts `count` busy loops.
    init(count: Int) throws {
        let parent = ProcessInfo.processInfo.processIdentifier
        processes = try (0..<count).map { _ in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            // The loop checks now and then that its parent lives, so that a
            // killed benchmark leaves no spinning shell behind.
            process.arguments = ["-c", "while kill -0 \(parent) 2>/dev/null; do i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; done"]
            try process.run()
            return process
        }
    }

    /// Stops every loop and waits for it to end. SIGKILL, as the loops
    /// inherit this process's disposition of SIGTERM, which a headless
    /// command ignores (it handles it itself).
    func stop() {
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
    }
}
