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
    // `job`. It is written by `dispatch`, which is called holding
    // `callerLock`, strictly before the job's `ticket` is stored (sequentially
    // consistent), and read by a worker only after it has claimed a part of
    // that ticket. `dispatch` then waits until `finished` has advanced once
    // for every part, i.e. until every thread that claimed a part has
    // finished running it, before it clears `job` and the lock is released;
    // no part is left to claim by then. So no read of `job` ever races with
    // a write, and the work `job` points to, on the poster's stack, outlives
    // every read of it.
    /// The work posted now: its address and the function that runs one of its parts.
    private var job: (work: UnsafeRawPointer, runPart: (UnsafeRawPointer, Int) -> Void)?
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
                flushSubnormalsOnThisThread()
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
    /// most `capacity`), the calling thread flushing subnormals to zero as
    /// the workers do (see SubnormalFlushing.swift).
    public static func withThreads<Result>(_ threads: Int, _ body: () throws -> Result) rethrows -> Result {
        try withSubnormalsFlushed { try $requestedThreads.withValue(threads, operation: body) }
    }

    /// Runs `body` with the kernels it calls using `threads` threads (at
    /// most `capacity`), across its suspensions. Its executor's thread must
    /// flush subnormals itself, as `EngineThread`'s does: a mode set here
    /// would not follow the body to another thread after a suspension.
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

    /// Runs `work.run(part: i)` for every `i` in `0..<threads`, in
    /// parallel, and returns when all parts have finished. Parts go to
    /// whichever thread is free first: when a worker has lost its core to
    /// another program, the caller takes its part instead of waiting for it.
    /// A nested or concurrent call runs all parts on the calling thread instead.
    @inlinable
    public func run<Work: ParallelWork>(_ work: Work) {
        let parts = threads
        if parts == 1 { work.run(part: 0); return }
        let posted = withUnsafePointer(to: work) { address in
            postIfFree(UnsafeRawPointer(address), parts: parts, runPart: Work.runPart)
        }
        if !posted { for part in 0..<parts { work.run(part: part) } }
    }

    /// Runs `work.run(part: i)` for every `i` in `0..<parts` (at most
    /// `capacity`): the shards of a data-parallel step. Shards that are not
    /// `independent` wait for one another, so each runs on its own thread at
    /// the same time; independent ones go to whichever thread is free, as
    /// `run`'s parts do. Waits its turn if another caller is using the pool;
    /// kernels called inside a part run whole on their caller's thread. Must
    /// not be called from inside a pool job.
    @inlinable
    public func runShards<Work: ParallelWork>(_ parts: Int, independent: Bool, _ work: Work) {
        precondition(parts >= 1 && parts <= capacity, "\(parts) parts cannot run together on \(capacity) threads")
        if parts == 1 { work.run(part: 0); return }
        withUnsafePointer(to: work) { address in
            postShards(UnsafeRawPointer(address), parts: parts, together: !independent, runPart: Work.runPart)
        }
    }

    /// Runs the work at `address` as a job of `parts` parts (see
    /// `dispatch`) if the pool is free; returns false, having run nothing,
    /// if another caller holds it.
    @usableFromInline
    func postIfFree(_ address: UnsafeRawPointer, parts: Int, runPart: @escaping (UnsafeRawPointer, Int) -> Void) -> Bool {
        callerLock.withLockIfAvailable { _ in dispatch((address, runPart), parts: parts, together: false) } != nil
    }

    /// Runs the work at `address` as the `parts` shards of a data-parallel
    /// step (see `dispatch`), once the pool is free. Kernels called by a
    /// shard see one available thread.
    @usableFromInline
    func postShards(_ address: UnsafeRawPointer, parts: Int, together: Bool,
                    runPart: @escaping (UnsafeRawPointer, Int) -> Void) {
        callerLock.withLock { _ in
            heldTogether.store(true, ordering: .relaxed)
            dispatch((address, runPart), parts: parts, together: together)
            heldTogether.store(false, ordering: .relaxed)
        }
    }

    /// Runs the parts of `posted` (`0..<parts`), each part claimed by the
    /// first thread to ask for it, the caller first. Parts that run `together`
    /// wait for one another, so the caller takes only one of them; otherwise
    /// it goes on claiming until none is left. The caller must hold `callerLock`.
    private func dispatch(_ posted: (work: UnsafeRawPointer, runPart: (UnsafeRawPointer, Int) -> Void),
                          parts: Int, together: Bool) {
        job = posted
        let done = finished.load() + parts
        let generation = ticket.load(ordering: .sequentiallyConsistent) >> 16 + 1
        ticket.store(generation << 16 | parts << 8, ordering: .sequentiallyConsistent)
        jobPosted.advance()
        if together { latestTogetherJob.store(jobPosted.load(), ordering: .relaxed) }
        while let part = claimPart() {
            posted.runPart(posted.work, part)
            finished.advance()
            if together { break }
        }
        finished.wait { $0 >= done }
        job = nil
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
    /// multiples of `grain`) and runs `work` on each chunk in parallel.
    @inlinable
    public func forEachChunk<Work: ChunkedWork>(of count: Int, grain: Int = 1, _ work: Work) {
        let parts = min(availableThreads, max(1, count / max(grain, 1)))
        if parts <= 1 { work.run(0..<count); return }
        run(Chunks(work, count: count, grain: grain, parts: parts))
    }

    /// Below this total weight (a weight is about one float read and
    /// written), `forEach` on a busy machine runs on the calling thread:
    /// such work costs less than waiting for a worker that may be waiting
    /// for its next time slice. On a quiet one, it is still shared.
    @usableFromInline
    static let smallestShareOnABusyMachine = 1 << 16

    /// Whether the system has lately been taking the workers' cores away,
    /// job after job: their idle spin has halved at least four times more
    /// than it has grown back (see `IdleSpin`). A quiet machine takes a core
    /// now and then too, which one halving must not be mistaken for.
    @usableFromInline
    var machineSeemsBusy: Bool {
        latestIdleSpin.load(ordering: .relaxed) <= EventCounter.longestSpin / 16
    }

    /// Runs `work` on every item, the items shared out among the threads in
    /// runs of about equal total weight; each item is handled whole by one
    /// thread, so per-item results do not depend on the thread count.
    @inlinable
    public func forEach<Work: ItemWork>(_ items: [Work.Item], _ work: Work) {
        var total = 0
        for index in items.indices { total += work.weight(of: items[index]) }
        total = max(1, total)
        if total < Self.smallestShareOnABusyMachine && machineSeemsBusy {
            for index in items.indices { work.run(items[index]) }
            return
        }
        run(WeightedItems(work, items: items, total: total, parts: threads))
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
                if let (work, runPart) = job { runPart(work, part) }
                finished.advance()
            }
        }
    }
}
