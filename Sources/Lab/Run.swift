import Foundation
import RunProtocol
import Synchronization

/// One run in this process, for every front end (the dashboard, `train`,
/// `serve`): a single engine or a residual net and its plain twin. It routes
/// each command to the engines it concerns, merges their snapshots into one
/// stream, and when training has ended writes the `--save` checkpoints and
/// runs the lesson's follow-up experiment. A headless run then stops; a
/// live one stays up for lesions until it is told to quit.
public final class Run: RunSession {
    /// The residual network's engine, then the plain twin's if there is one.
    public let engines: [Engine]
    public let capabilities = Set(Capability.allCases)
    public let updates: AsyncStream<RunUpdate>

    private let continuation: AsyncStream<RunUpdate>.Continuation
    private let coordinator: Coordinator
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// Builds the engines. `live` runs publish on a timer and stay up after
    /// training; headless ones publish every evaluation and stop after
    /// their follow-up.
    public init(configuration: RunConfiguration, checkpoint: CheckpointContents? = nil, live: Bool,
                savePath: String? = nil, followUp: Command? = nil) throws {
        let policy: PublishPolicy = live ? .live(interval: .milliseconds(100)) : .everyEvaluation
        if configuration.twin {
            guard checkpoint == nil else { throw RunError("--twin trains two networks from scratch; it cannot --load") }
            engines = try TwinRun(configuration: configuration, policy: policy, staysAfterTraining: true).engines
        } else {
            engines = [try Engine(configuration: configuration, policy: policy, checkpoint: checkpoint, staysAfterTraining: true)]
        }
        (updates, continuation) = AsyncStream.makeStream(bufferingPolicy: live ? .bufferingNewest(64) : .unbounded)
        coordinator = Coordinator(engines: engines, live: live, savePath: savePath, followUp: followUp, output: continuation)
    }

    public func start() {
        let engines = self.engines, coordinator = self.coordinator, continuation = self.continuation
        let started = Task.detached {
            await withTaskGroup(of: Void.self) { group in
                for (index, engine) in engines.enumerated() {
                    group.addTask { await engine.run() }
                    group.addTask {
                        for await snapshot in engine.snapshots { await coordinator.received(snapshot, from: index) }
                    }
                }
            }
            continuation.yield(.ended(reason: nil))
            continuation.finish()
        }
        task.withLock { $0 = started }
    }

    public func send(_ command: Command) {
        engines[0].send(command)
        guard command.concernsBothTwins else { return }
        for twin in engines.dropFirst() {
            if case .save(let path?) = command { twin.send(.save(path: Checkpoint.twinPath(path))) } else { twin.send(command) }
        }
    }

    public func stop() async {
        for engine in engines { engine.send(.quit) }
        await task.withLock { $0 }?.value
    }

    /// The last snapshot of each engine, residual first (after `stop`, or once `updates` has ended).
    public var finalSnapshots: [Snapshot] { get async { await coordinator.last } }

    /// Whether the `--save` checkpoints could not be written.
    public var saveFailed: Bool { get async { await coordinator.saveFailed } }
}

/// The run's bookkeeping, one snapshot at a time: what each engine last
/// said, and what is left to do when training ends.
private actor Coordinator {
    let engines: [Engine]
    let live: Bool
    let savePath: String?
    let output: AsyncStream<RunUpdate>.Continuation
    var followUp: Command?
    var last: [Snapshot]
    var ended = false
    var followUpRunning = false
    var saveFailed = false

    init(engines: [Engine], live: Bool, savePath: String?, followUp: Command?, output: AsyncStream<RunUpdate>.Continuation) {
        self.engines = engines
        self.live = live
        self.savePath = savePath
        self.followUp = followUp
        self.output = output
        last = Array(repeating: Snapshot(), count: engines.count)
    }

    func received(_ snapshot: Snapshot, from index: Int) async {
        last[index] = snapshot
        output.yield(.snapshot(snapshot))
        // A headless pair stops together when either diverges: its run is over.
        if snapshot.state == .diverged && !live {
            for engine in engines { engine.send(.quit) }
            return
        }
        if !ended && last.allSatisfy({ $0.state == .finished }) {
            ended = true
            await trainingEnded()
        } else if followUpRunning && index == 0 && last[0].experiment == nil && last[0].state == .finished
                    && (last[0].lesionSweep != nil || last[0].kDeletions != nil || last[0].paths != nil) {
            followUpRunning = false
            if !live { quitAll() }
        }
    }

    /// Writes the `--save` checkpoints, then starts the follow-up (or, headless, stops).
    private func trainingEnded() async {
        if let savePath {
            for (index, engine) in engines.enumerated() {
                let path = index == 0 ? savePath : Checkpoint.twinPath(savePath)
                do {
                    // An engine told to quit (Ctrl-C) has published its last
                    // snapshot already; its save is then announced here.
                    if let unpublished = try await engine.saveCheckpoint(to: path) { output.yield(.notice(unpublished)) }
                } catch {
                    saveFailed = true
                    output.yield(.notice("could not save \(path): \(error)"))
                }
            }
        }
        if let followUp {
            self.followUp = nil
            followUpRunning = true
            engines[0].send(followUp)
        } else if !live {
            quitAll()
        }
    }

    private func quitAll() {
        for engine in engines { engine.send(.quit) }
    }
}
