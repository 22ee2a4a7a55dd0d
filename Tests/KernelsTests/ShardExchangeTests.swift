import Foundation
import Kernels
import Synchronization
import Testing

struct ShardExchangeTests {
    /// Two threads exchange many rounds of parts back to back (so that one
    /// may start a round while the other still reads the last): every round,
    /// both get both parts in shard order, and the kernels they call are
    /// not split again.
    @Test(.enabled(if: WorkerPool.shared.capacity >= 2))
    func everyShardGetsEveryPartOfEveryRoundInOrder() {
        let rounds = ExchangeRounds()
        WorkerPool.shared.runShards(2, independent: false, rounds)
        #expect(rounds.mismatches.load(ordering: .relaxed) == 0)
        #expect(rounds.splitKernels.load(ordering: .relaxed) == 0)
        #expect(WorkerPool.shared.availableThreads == WorkerPool.shared.threads)
    }

    /// A shard that waits for a late one works through its backlog first:
    /// every item runs once, in order, before the late shard hands in its
    /// part, and the wait still returns both parts.
    @Test(.enabled(if: WorkerPool.shared.capacity >= 2))
    func aWaitingShardWorksThroughItsBacklog() {
        let lateArrival = LateArrival()
        WorkerPool.shared.runShards(2, independent: false, lateArrival)
        #expect(lateArrival.runsBeforeArrival.withLock { $0 } == [0, 1, 2])
        #expect(lateArrival.partsSeen.load(ordering: .relaxed) == 2)
    }

    /// A backlog runs its items oldest first, each once, and starts afresh
    /// once it has run them all.
    @Test func backlogRunsItemsOnceOldestFirst() {
        let log = Mutex<[Int]>([])
        let backlog = ShardBacklog()
        let items = (0..<3).map { index in LoggedItem { log.withLock { $0.append(index) } } }
        for item in items { backlog.add(item) }
        #expect(backlog.runNext())
        backlog.runAll()
        #expect(!backlog.runNext())
        backlog.add(items[2])
        backlog.add(items[0])
        backlog.runAll()
        #expect(log.withLock { $0 } == [0, 1, 2, 2, 0])
    }

    private final class LoggedItem: PutOffWork {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
        func runPutOffWork() { body() }
    }

    /// Shard 1 hands in its part 50 ms late; shard 0 has three items put off,
    /// which record whether shard 1 had arrived when they ran.
    private final class LateArrival: ParallelWork, Sendable {
        let exchange = ShardExchange(shards: 2)
        let arrived = Atomic<Bool>(false)
        let runsBeforeArrival = Mutex<[Int]>([])
        let partsSeen = Atomic<Int>(0)

        func run(part shard: Int) {
            var parts: [Float] = []
            if shard == 1 {
                usleep(50_000)
                arrived.store(true, ordering: .sequentiallyConsistent)
                exchange.gather([1], shard: 1, into: &parts)
            } else {
                let backlog = ShardBacklog()
                for index in 0..<3 {
                    backlog.add(LoggedItem { [self] in
                        if !arrived.load(ordering: .sequentiallyConsistent) { runsBeforeArrival.withLock { $0.append(index) } }
                    })
                }
                exchange.gather([0], shard: 0, into: &parts, meanwhile: backlog)
            }
            if parts == [0, 1] { partsSeen.add(1, ordering: .relaxed) }
        }
    }

    /// Each shard's rounds of exchanges, counting the parts that came wrong
    /// and the shards that saw more than one available thread.
    private final class ExchangeRounds: ParallelWork, Sendable {
        let exchange = ShardExchange(shards: 2)
        let mismatches = Atomic<Int>(0), splitKernels = Atomic<Int>(0)

        func run(part shard: Int) {
            if WorkerPool.shared.availableThreads != 1 { splitKernels.add(1, ordering: .relaxed) }
            var parts: [Float] = [], total: [Float] = []
            for round in 0..<2_000 {
                let part = [Float(round), Float(shard)]
                exchange.gather(part, shard: shard, into: &parts)
                if parts != [Float(round), 0, Float(round), 1] { mismatches.add(1, ordering: .relaxed) }
                exchange.sum(part, shard: shard, into: &total)
                if total != [Float(2 * round), 1] { mismatches.add(1, ordering: .relaxed) }
            }
        }
    }
}
