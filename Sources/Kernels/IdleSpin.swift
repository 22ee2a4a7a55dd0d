import CGlibc

/// How long an idle worker spins for its next job before it sleeps.
///
/// On a quiet machine the next kernel follows within microseconds, so a
/// worker that spins up to a millisecond catches it without a wake-up. On a
/// busy one that spin is a disaster: the system charges it to the worker,
/// which then loses its core in the middle of its next part, and the whole
/// step waits for it. Whether the machine is busy is read from the worker's
/// own count of involuntary context switches: each job during which the
/// system took its core away halves the spin (down to `shortestSpin`); each
/// job without lets it grow back by an eighth (up to `longestSpin`).
public struct IdleSpin {
    public private(set) var nanoseconds = EventCounter.longestSpin
    private let countPreemptions: () -> Int
    private var preemptions: Int

    /// Starts at the longest spin. `countPreemptions` reads the calling
    /// thread's involuntary context switches (tests pass their own count).
    public init(countingPreemptions countPreemptions: @escaping () -> Int = { reslab_thread_preemptions() }) {
        self.countPreemptions = countPreemptions
        preemptions = countPreemptions()
    }

    /// Adapts the spin after a job; call it on the thread that waits.
    /// `keepingLongest` holds the spin at its longest whatever the machine
    /// does: for jobs whose parts cannot start until every worker is awake,
    /// a sleeping worker costs more than a spinning one.
    public mutating func update(keepingLongest: Bool = false) {
        let now = countPreemptions()
        nanoseconds = keepingLongest ? EventCounter.longestSpin
            : now != preemptions
            ? max(EventCounter.shortestSpin, nanoseconds / 2)
            : min(EventCounter.longestSpin, nanoseconds + nanoseconds / 8)
        preemptions = now
    }
}
