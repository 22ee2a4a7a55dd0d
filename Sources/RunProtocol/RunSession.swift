/// What an engine can do beyond training, announced in its handshake. A
/// front end offers only what the engine says it can do.
public enum Capability: String, Codable, Sendable, CaseIterable {
    /// Delete each block in turn (`lesion_sweep`).
    case lesionSweep = "lesion-sweep"
    /// Delete k random blocks (`k_deletion_curve`).
    case kDeletions = "k-deletions"
    /// Veit's path statistics (`path_report`).
    case paths
    /// Write checkpoints (`save`).
    case save
    /// Decision regions of 2-D datasets in snapshots.
    case decisionMap = "decision-map"
}

/// What a run tells its front end: a snapshot of one of its engines, a
/// notice of the run's own (a checkpoint written, an experiment started),
/// or its end, with the reason when it did not end by itself.
public enum RunUpdate: Sendable, Equatable {
    case snapshot(Snapshot)
    case notice(String)
    /// `nil` when the run ended as asked; otherwise why, e.g. `connection lost`.
    case ended(reason: String?)
}

/// One run as every front end sees it: commands in, updates out. The run may
/// train in this process (`Run`, in Lab) or in another one, perhaps on
/// another machine (`RemoteRun`), behind the same JSON-lines protocol. The
/// dashboard is written against this protocol alone.
public protocol RunSession: AnyObject, Sendable {
    /// What the engine can do.
    var capabilities: Set<Capability> { get }
    /// Every update of the run, in order; finishes after `.ended`.
    var updates: AsyncStream<RunUpdate> { get }
    /// Starts training.
    func start()
    /// Queues a command. Run controls reach every engine of a twin pair;
    /// lesions, scope and experiments reach the residual network alone.
    func send(_ command: Command)
    /// Asks the run to stop, and returns once it has.
    func stop() async
    /// Lets go of the run without stopping it where it can go on alone (an
    /// engine listening on a socket, for the next front end); stops it
    /// otherwise. A closed terminal leaves this way.
    func leave() async
}

extension RunSession {
    public func leave() async { await stop() }
}

extension Command {
    /// Whether this reaches the plain twin as well: the run controls do;
    /// lesions, scope and experiments belong to the residual net alone.
    public var concernsBothTwins: Bool {
        switch self {
        case .pause, .resume, .togglePause, .step, .reset, .scaleLearningRate, .evaluate, .quit, .save: return true
        default: return false
        }
    }
}
