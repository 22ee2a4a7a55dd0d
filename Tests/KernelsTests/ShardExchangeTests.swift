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
