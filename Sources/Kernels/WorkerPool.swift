import Foundation
import Synchronization

/// A persistent pool of worker threads that splits one piece of work across
/// the machine's cores.
///
/// Waking a core through Dispatch costs tens of microseconds, longer than a
/// small layer takes to compute. These workers instead wait on event
/// counters (`EventCounter`) that spin for a moment after each job, so
/// back-to-back kernels find them awake, and then sleep: an idle pool costs
/// nothing, and on a busy machine a worker that lost its core costs its
/// peers a wake-up, not their time slices. There, idle workers also spin
/// less (`IdleSpin`), so that they keep their time for their next part,
/// unless the next job will need them all at once.
public final class WorkerPool: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: the only non-atomic mutable state is
    // `job`. It is written by `dispatch` while it holds `callerLock`, strictly
    // before the job's `ticket` is stored (sequentially consistent), and read
    // by a worker only after it has claimed a part of that ticket. `dispatch`
    // then waits until `finished` has advanced once for every part, i.e. until
    // every thread that claimed a part has finished calling `job`, before it
    // clears `job` and releases the lock; no part is left to claim by then.
    // So no read of `job` ever races with a write.
    private var job: ((Int) -> Void)?
    /// The job posted now: its number (bits 16 and up), its parts (bits 8–15)
    /// and the next part to claim (bits 0–7).
    private let ticket = Atomic<Int>(0)
    /// Advances once per job; idle workers wait for it to move.
    private let jobPosted = EventCounter()
    /// The idle spin a worker chose after its latest job.
    private let latestIdleSpin = Atomic<Int>(EventCounter.longestSpin)
    /// `jobPosted`'s count for the latest job whose parts run together.
    private let latestTogetherJob = Atomic<Int>(Int.min / 2)
    /// How many jobs after one whose parts ran together idle workers keep
    /// their longest spin: more than a training step posts, so that the
    /// next step's shards find them awake.
    private static let jobsKeptAwakeAfterTogether = 8
    /// Advances once per finished part.
    private let finished = EventCounter()
    private let callerLock = Mutex<Void>(())
    /// Set while a `runShards` job holds every thread.
    private let heldTogether = Atomic<Bool>(false)

    /// The number of threads the pool owns, the calling thread included.
    public let capacity: Int

    /// The pool shared by every kernel, sized to the machine.
    public static let shared = WorkerPool(capacity: ProcessInfo.processInfo.activeProcessorCount)

    /// Creates a pool of `capacity` threads: the caller plus `capacity - 1` workers.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        for index in 1..<self.capacity {
            Thread { [self] in
                nameCurrentThread("reslab-worker-\(index)")
                self.workerLoop()
            }.start()
        }
    }

    /// The thread count asked for by the task running now (see
    /// `withThreads`); nil, outside any request, means one thread. A value
    /// passed down the task, never a process-wide setting: two runs with
    /// different counts can share the pool at once, and code that did not
    /// ask for threads never wakes a worker.
    @TaskLocal public static var requestedThreads: Int?

    /// Runs `body` with the kernels it calls using `threads` threads (at
    /// most `capacity`).
    public static func withThreads<Result>(_ threads: Int, _ body: () throws -> Result) rethrows -> Result {
        try $requestedThreads.withValue(threads, operation: body)
    }

    /// Runs `body` with the kernels it calls using `threads` threads (at
    /// most `capacity`), across its suspensions.
    public static func withThreads<Result>(_ threads: Int, isolation: isolated (any Actor)? = #isolation,
                                           _ body: () async throws -> Result) async rethrows -> Result {
        try await $requestedThreads.withValue(threads, operation: body, isolation: isolation)
    }

    /// How many threads `run` uses in the current task, at most `capacity`.
    /// It never changes a result: work is always split so that each output
    /// element is computed by one thread in the same order.
    public var threads: Int {
        min(max(1, Self.requestedThreads ?? 1), capacity)
    }

    /// How many parts a kernel should split its work into now: `threads`, or
    /// 1 while a `runShards` job holds them all (its parts then run their
    /// kernels whole, instead of in parts one after another).
    public var availableThreads: Int {
        heldTogether.load(ordering: .relaxed) ? 1 : threads
    }

    /// Calls `body(i)` for every `i` in `0..<threads`, in parallel, and
    /// returns when all calls have finished. Parts go to whichever thread
    /// is free first: when a worker has lost its core to another program, the
    /// caller takes its part instead of waiting for it. A nested or
    /// concurrent call runs all parts on the calling thread instead.
    public func run(_ body: (Int) -> Void) {
        let parts = threads
        if parts == 1 { body(0); return }
        let ran: Bool? = callerLock.withLockIfAvailable { _ in dispatch(parts, together: false, body); return true }
        if ran == nil { for index in 0..<parts { body(index) } }
    }

    /// Calls `body(i)` for every `i` in `0..<parts` (at most `capacity`):
    /// the shards of a data-parallel step. Shards that are not `independent`
    /// wait for one another, so each runs on its own thread at the same time;
    /// independent ones go to whichever thread is free, as `run`'s parts do.
    /// Waits its turn if another caller is using the pool; kernels called
    /// inside `body` run whole on their caller's thread. Must not be called
    /// from inside a pool job.
    public func runShards(_ parts: Int, independent: Bool, _ body: (Int) -> Void) {
        precondition(parts >= 1 && parts <= capacity, "\(parts) parts cannot run together on \(capacity) threads")
        if parts == 1 { body(0); return }
        callerLock.withLock { _ in
            heldTogether.store(true, ordering: .relaxed)
            dispatch(parts, together: !independent, body)
            heldTogether.store(false, ordering: .relaxed)
        }
    }

    /// Runs `body(i)` for `i` in `0..<parts`, each part claimed by the first
    /// thread to ask for it, the caller first. Parts that run `together` wait
    /// for one another, so the caller takes only one of them; otherwise it
    /// goes on claiming until none is left. The caller must hold `callerLock`.
    private func dispatch(_ parts: Int, together: Bool, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            job = escapable
            let done = finished.load() + parts
            let generation = ticket.load(ordering: .sequentiallyConsistent) >> 16 + 1
            ticket.store(generation << 16 | parts << 8, ordering: .sequentiallyConsistent)
            jobPosted.advance()
            if together { latestTogetherJob.store(jobPosted.load(), ordering: .relaxed) }
            while let part = claimPart() {
                escapable(part)
                finished.advance()
                if together { break }
            }
            finished.wait { $0 >= done }
            job = nil
        }
    }

    /// Takes the next unclaimed part of the job posted now, if any is left.
    private func claimPart() -> Int? {
        var current = ticket.load(ordering: .sequentiallyConsistent)
        while true {
            let (parts, next) = (current >> 8 & 0xFF, current & 0xFF)
            guard next < parts else { return nil }
            let (exchanged, original) = ticket.compareExchange(expected: current, desired: current + 1,
                                                               ordering: .sequentiallyConsistent)
            if exchanged { return next }
            current = original
        }
    }

    /// Splits `0..<count` into `threads` contiguous chunks (rounded to
    /// multiples of `grain`) and calls `body` on each chunk in parallel.
    public func forEachChunk(of count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let parts = min(availableThreads, max(1, count / max(grain, 1)))
        if parts <= 1 { body(0..<count); return }
        let units = (count + grain - 1) / grain
        run { index in
            guard index < parts else { return }
            let lower = min(count, units * index / parts * grain)
            let upper = min(count, units * (index + 1) / parts * grain)
            if lower < upper { body(lower..<upper) }
        }
    }

    /// Below this total weight (a weight is about one float read and
    /// written), `forEach` on a busy machine runs on the calling thread:
    /// such work costs less than waiting for a worker that may be waiting
    /// for its next time slice. On a quiet one, it is still shared.
    private static let smallestShareOnABusyMachine = 1 << 16

    /// Whether the system has lately been taking the workers' cores away,
    /// job after job: their idle spin has halved at least four times more
    /// than it has grown back (see `IdleSpin`). A quiet machine takes a core
    /// now and then too, which one halving must not be mistaken for.
    private var machineSeemsBusy: Bool {
        latestIdleSpin.load(ordering: .relaxed) <= EventCounter.longestSpin / 16
    }

    /// Calls `body` on every item, the items shared out among the threads in
    /// runs of about equal total `weight`; each item is handled whole by one
    /// thread, so per-item results do not depend on the thread count.
    ///
    /// The items are visited by index: this generic function is not
    /// specialised for its callers' types, and there iterating an array
    /// allocates memory for every element it yields.
    public func forEach<Item>(_ items: [Item], weight: (Item) -> Int, _ body: (Item) -> Void) {
        var total = 0
        for index in items.indices { total += weight(items[index]) }
        total = max(1, total)
        if total < Self.smallestShareOnABusyMachine && machineSeemsBusy {
            for index in items.indices { body(items[index]) }
            return
        }
        let parts = threads
        run { thread in
            var before = 0
            for index in items.indices {
                let size = weight(items[index])
                if (before + size / 2) * parts / total == thread { body(items[index]) }
                before += size
            }
        }
    }

    private func workerLoop() {
        var seen = 0
        var idleSpin = IdleSpin()
        while true {
            seen = jobPosted.wait(spinningFor: idleSpin.nanoseconds) { [seen] in $0 != seen }
            // Shards that meet at batch norms cannot start without every
            // worker, so while such jobs are being run, the spin stays long.
            defer {
                idleSpin.update(keepingLongest: seen - latestTogetherJob.load(ordering: .relaxed) < Self.jobsKeptAwakeAfterTogether)
                latestIdleSpin.store(idleSpin.nanoseconds, ordering: .relaxed)
            }
            while let part = claimPart() {
                do {
                    // The local copy is released at the end of this scope,
                    // before `finished` says the part is done.
                    let work = job
                    work?(part)
                }
                finished.advance()
            }
        }
    }
}
