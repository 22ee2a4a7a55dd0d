import Foundation
import Synchronization

/// A persistent pool of worker threads that splits one piece of work across
/// the machine's cores.
///
/// Waking a core through Dispatch costs tens of microseconds, longer than a
/// small layer takes to compute. These workers instead spin on an atomic
/// generation counter for a short while after each job, so back-to-back
/// training steps find them awake; when idle for longer they sleep on a
/// semaphore and cost nothing.
public final class WorkerPool: @unchecked Sendable {
    // Why `@unchecked Sendable` is safe: the only non-atomic mutable state is
    // `job`. It is written by `run` while it holds `callerLock`, strictly
    // before `generation` is incremented (sequentially consistent), and read
    // by a worker only after it has observed that new generation. `run` then
    // waits until `pending` reaches zero, i.e. until every worker has finished
    // calling `job`, before it clears `job` and releases the lock. So no read
    // of `job` ever races with a write.
    private var job: ((Int) -> Void)?
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let wake = DispatchSemaphore(value: 0)
    private let callerLock = Mutex<Void>(())
    /// Set while a `runTogether` job holds every thread.
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
                self.workerLoop(index: index)
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
    /// 1 while a `runTogether` job holds them all (its parts then run their
    /// kernels whole, instead of in parts one after another).
    public var availableThreads: Int {
        heldTogether.load(ordering: .relaxed) ? 1 : threads
    }

    /// Calls `body(i)` for every `i` in `0..<threads`, in parallel, and
    /// returns when all calls have finished. A nested or concurrent call runs
    /// all parts on the calling thread instead.
    public func run(_ body: (Int) -> Void) {
        let parts = threads
        if parts == 1 { body(0); return }
        let ran: Bool? = callerLock.withLockIfAvailable { _ in dispatch(parts, body); return true }
        if ran == nil { for index in 0..<parts { body(index) } }
    }

    /// Calls `body(i)` for every `i` in `0..<parts` (at most `capacity`),
    /// each on its own thread at the same time, so the calls may wait for one
    /// another (the shards of a data-parallel step do). Waits its turn if
    /// another caller is using the pool; kernels called inside `body` run
    /// whole on their caller's thread. Must not be called from inside a pool job.
    public func runTogether(parts: Int, _ body: (Int) -> Void) {
        precondition(parts >= 1 && parts <= capacity, "\(parts) parts cannot run together on \(capacity) threads")
        if parts == 1 { body(0); return }
        callerLock.withLock { _ in
            heldTogether.store(true, ordering: .relaxed)
            dispatch(parts, body)
            heldTogether.store(false, ordering: .relaxed)
        }
    }

    /// Runs `body` on the first `parts` threads, the caller's being part 0.
    /// The caller must hold `callerLock`.
    private func dispatch(_ parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { escapable in
            job = { index in if index < parts { escapable(index) } }
            pending.store(capacity - 1, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            let sleeping = sleepers.exchange(0, ordering: .sequentiallyConsistent)
            for _ in 0..<sleeping { wake.signal() }
            escapable(0)
            while pending.load(ordering: .sequentiallyConsistent) != 0 {}
            job = nil
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

    /// Calls `body` on every item, the items shared out among the threads in
    /// runs of about equal total `weight`; each item is handled whole by one
    /// thread, so per-item results do not depend on the thread count.
    public func forEach<Item>(_ items: [Item], weight: (Item) -> Int, _ body: (Item) -> Void) {
        let total = max(1, items.reduce(0) { $0 + weight($1) })
        let parts = threads
        run { thread in
            var before = 0
            for item in items {
                let size = weight(item)
                if (before + size / 2) * parts / total == thread { body(item) }
                before += size
            }
        }
    }

    private func workerLoop(index: Int) {
        var seen = 0
        let spinLimit = 200_000
        while true {
            var spins = 0
            var current = generation.load(ordering: .sequentiallyConsistent)
            while current == seen {
                spins += 1
                if spins > spinLimit {
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
                    spins = 0
                }
                current = generation.load(ordering: .sequentiallyConsistent)
            }
            seen = current
            do {
                // The local copy is released at the end of this scope, before
                // `pending` says the job is done.
                let work = job
                work?(index)
            }
            pending.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}
