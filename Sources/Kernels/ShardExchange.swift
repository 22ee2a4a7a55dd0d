import Foundation
import Synchronization

/// Where the shards of a data-parallel training step, each on its own
/// thread, pool the partial results that need the whole batch (batch-norm
/// statistics, the loss).
///
/// Every shard hands in its part and waits until all have; each then gets
/// all the parts in shard order, so what it computes from them depends on
/// the number of shards but never on which thread got there first.
public final class ShardExchange: Sendable {
    public let shards: Int
    private let state: Mutex<State>
    /// Parts handed in so far, by all shards over all rounds.
    private let arrivals = EventCounter()

    private struct State {
        /// Two sets of slots, used in alternate rounds: a shard can start
        /// round r + 1 while others still read round r, but not round r + 2,
        /// which needs everyone to have handed in round r + 1 first.
        var parts: [[[Float]]]
        /// Rounds each shard has started.
        var rounds: [Int]
    }

    public init(shards: Int) {
        precondition(shards >= 1)
        self.shards = shards
        state = Mutex(State(parts: Array(repeating: Array(repeating: [], count: shards), count: 2),
                            rounds: Array(repeating: 0, count: shards)))
    }

    /// The element-wise sum of every shard's `part` in this round, written
    /// into `total` (its storage reused): the same bits for every shard.
    public func sum(_ part: [Float], shard: Int, into total: inout [Float]) {
        gather(part, shard: shard, into: &total)
        let count = part.count
        for other in 1..<shards {
            for index in 0..<count { total[index] += total[other * count + index] }
        }
        total.removeLast(total.count - count)
    }

    /// Every shard's `part` in this round, in shard order, one after another
    /// in `parts` (its storage reused). All shards must call `gather` (or
    /// `sum`) the same number of times, each from its own thread at the same
    /// time, with parts of one size.
    ///
    /// Parts are copied in and out rather than shared, so that neither the
    /// shards' arrays nor the exchange's slots are ever copied on write: a
    /// warm exchange allocates nothing.
    public func gather(_ part: [Float], shard: Int, into parts: inout [Float]) {
        let round = state.withLock { state in
            let round = state.rounds[shard]
            state.rounds[shard] += 1
            state.parts[round % 2][shard].removeAll(keepingCapacity: true)
            state.parts[round % 2][shard].append(contentsOf: part)
            return round
        }
        arrivals.advance()
        // Another shard may have lost its core (a busy machine, tests in
        // parallel): the wait sleeps soon rather than spin away its time slice.
        arrivals.wait { $0 >= (round + 1) * shards }
        parts.removeAll(keepingCapacity: true)
        state.withLock { state in
            for slot in state.parts[round % 2] { parts.append(contentsOf: slot) }
        }
    }
}
