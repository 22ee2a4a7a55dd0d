import RunProtocol

/// The engine's log: numbered lines with the seconds since the run began.
/// The newest twenty travel in every snapshot; a reader skips those it has
/// seen by their numbers.
struct EventLog {
    private(set) var recent: [EngineEvent] = []
    private var count = 0
    private var published = 0
    static let carried = 20

    mutating func note(_ message: String, at time: Double) {
        count += 1
        recent.append(EngineEvent(id: count, time: time, message: message))
        if recent.count > Self.carried { recent.removeFirst(recent.count - Self.carried) }
    }

    /// Whether a line was noted after the last snapshot went out.
    var hasUnpublished: Bool { count > published }

    /// The lines for a snapshot going out now.
    mutating func forSnapshot() -> [EngineEvent] {
        published = count
        return recent
    }
}
