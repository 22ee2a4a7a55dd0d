/// A run's story so far, for a front end that attaches after it began
/// (`reslab serve --listen`, when the one before went away): the snapshots
/// that carried an evaluation, the newest snapshot of each net, and its
/// events. Replayed in order, they give a new screen its curves, at the
/// resolution of the evaluations, and its whole event log.
struct RunHistory {
    /// Snapshots with an evaluation, in the order they came, without their
    /// events and decision maps (the newest snapshot carries those).
    private var evaluations: [Snapshot] = []
    /// The newest snapshot of each net (`run`), without its events.
    private var latest: [Snapshot] = []
    /// Each net's events, oldest first, the newest `eventLimit`.
    private var events: [String?: [EngineEvent]] = [:]

    /// Bounds on what is kept, however long the run: past `evaluationLimit`
    /// snapshots, every other one of the older half is dropped.
    static let evaluationLimit = 2000
    static let eventLimit = 1000

    mutating func record(_ snapshot: Snapshot) {
        var known = events[snapshot.run, default: []]
        let seen = known.last?.id ?? 0
        known += snapshot.events.filter { $0.id > seen }
        if known.count > Self.eventLimit { known.removeFirst(known.count - Self.eventLimit) }
        events[snapshot.run] = known

        var kept = snapshot
        kept.events = []
        if let index = latest.firstIndex(where: { $0.run == snapshot.run }) { latest[index] = kept } else { latest.append(kept) }
        let previous = evaluations.last { $0.run == snapshot.run }
        guard snapshot.evaluatedAtStep == snapshot.step,
              previous.map({ $0.step != snapshot.step || $0.state != snapshot.state }) ?? true else { return }
        kept.decisionMap = nil
        evaluations.append(kept)
        if evaluations.count > Self.evaluationLimit {
            let half = evaluations.count / 2
            evaluations = evaluations[..<half].enumerated().filter { $0.offset % 2 == 0 }.map(\.element) + evaluations[half...]
        }
    }

    /// What a new front end hears before the live updates: the evaluations,
    /// then each net's newest snapshot with all of its kept events.
    func replay() -> [Snapshot] {
        evaluations + latest.map { snapshot in
            var whole = snapshot
            whole.events = events[snapshot.run, default: []]
            return whole
        }
    }
}
