import Kernels

/// Deals out shuffled mini-batches of indices, one epoch after another.
/// Every epoch is a fresh permutation drawn from the seed; the last partial
/// batch of an epoch is dropped, so every step sees a full batch.
public struct BatchSampler: Sendable {
    public let count: Int
    public let batchSize: Int
    private var generator: SeededGenerator
    private var order: [Int]
    private var position = 0
    /// Completed epochs.
    public private(set) var epoch = 0

    public init(count: Int, batchSize: Int, seed: UInt64) {
        precondition(count > 0 && batchSize > 0)
        self.count = count
        self.batchSize = min(batchSize, count)
        generator = SeededGenerator(seed: seed)
        order = Array(0..<count)
        order.seededShuffle(using: &generator)
    }

    /// Full batches in one epoch.
    public var batchesPerEpoch: Int { count / batchSize }

    /// The indices of the next batch.
    public mutating func next() -> ArraySlice<Int> {
        if position + batchSize > count {
            order.seededShuffle(using: &generator)
            position = 0
            epoch += 1
        }
        defer { position += batchSize }
        return order[position..<position + batchSize]
    }
}
