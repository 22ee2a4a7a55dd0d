import Datasets
import Foundation
import Kernels
import Network

/// Accuracy with each block lesioned alone (Veit et al. 2016, figure 3).
public struct SingleLesionResult: Codable, Sendable, Equatable {
    public var kind = "lesion-single"
    /// What was done to each block: `deleted` or `plain`.
    public let mode: BlockMode
    /// Accuracy of the intact network.
    public let intact: Float
    /// Accuracy with block i (0-based) lesioned, input to output.
    public let accuracy: [Float]

    public init(mode: BlockMode, intact: Float, accuracy: [Float]) {
        self.mode = mode
        self.intact = intact
        self.accuracy = accuracy
    }
}

/// Accuracy with k random blocks deleted (Veit et al., figure 5a).
public struct KDeletionResult: Codable, Sendable, Equatable {
    public var kind = "lesion-k"
    public let k: Int
    public let samples: Int
    public let mean: Float
    public let std: Float
}

/// Accuracy after swapping random pairs of interchangeable blocks (Veit et al., figure 5b).
public struct ReorderResult: Codable, Sendable, Equatable {
    public var kind = "lesion-reorder"
    public let swaps: Int
    /// Kendall's τ between the new block order and the original one.
    public let kendallTau: Float
    public let accuracy: Float

    enum CodingKeys: String, CodingKey {
        case kind, swaps, accuracy
        case kendallTau = "kendall_tau"
    }
}

/// Lesion experiments on a trained network, evaluated on a fixed set of
/// samples. Lesions start from `baseModes`, the modes the network was
/// trained with: all residual for a ResNet, all plain for its plain twin.
public struct LesionLab {
    let trainer: Trainer
    let samples: LabeledSamples
    let baseModes: [BlockMode]
    let limit: Int?
    let batchSize: Int
    /// Called after each evaluation with (done, total), for progress on stderr.
    public var progress: (Int, Int) -> Void = { _, _ in }

    public init(trainer: Trainer, samples: LabeledSamples, baseModes: [BlockMode]? = nil, limit: Int? = nil,
                batchSize: Int = 250) {
        self.trainer = trainer
        self.samples = samples
        self.baseModes = baseModes ?? Array(repeating: .residual, count: trainer.network.blocks.count)
        self.limit = limit
        self.batchSize = batchSize
    }

    private var blockCount: Int { trainer.network.blocks.count }

    func accuracy(_ modes: [BlockMode], order: [Int]? = nil) -> Float {
        trainer.evaluate(samples, modes: modes, limit: limit, batchSize: batchSize, order: order).accuracy
    }

    /// Lesions each block alone with `mode`.
    public func single(mode: BlockMode = .deleted) -> SingleLesionResult {
        let intact = accuracy(baseModes)
        let results = (0..<blockCount).map { block -> Float in
            var modes = baseModes
            modes[block] = mode
            defer { progress(block + 1, blockCount) }
            return accuracy(modes)
        }
        return SingleLesionResult(mode: mode, intact: intact, accuracy: results)
    }

    /// For each k, deletes `repeats` random subsets of k blocks.
    public func kDeletions(_ ks: [Int], repeats: Int, seed: UInt64) -> [KDeletionResult] {
        var rng = SeededGenerator(seed: seed)
        var done = 0
        return ks.map { k in
            let values = (0..<(k == 0 || k == blockCount ? 1 : repeats)).map { _ -> Double in
                var chosen = Array(0..<blockCount)
                chosen.seededShuffle(using: &rng)
                var modes = baseModes
                for block in chosen.prefix(k) { modes[block] = .deleted }
                done += 1
                progress(done, ks.count * repeats)
                return Double(accuracy(modes))
            }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            return KDeletionResult(k: k, samples: values.count, mean: Float(mean), std: Float(variance.squareRoot()))
        }
    }

    /// For each number of swaps, `repeats` random reorderings of interchangeable blocks.
    public func reorderings(_ swapCounts: [Int], repeats: Int, seed: UInt64) -> [ReorderResult] {
        var rng = SeededGenerator(seed: seed)
        let groups = trainer.network.interchangeableBlocks
        let modes = baseModes
        var results: [ReorderResult] = []
        for swaps in swapCounts {
            for _ in 0..<repeats {
                var order = Array(0..<blockCount)
                for _ in 0..<swaps where !groups.isEmpty {
                    let group = groups[rng.index(below: groups.count)]
                    let a = group[rng.index(below: group.count)], b = group[rng.index(below: group.count)]
                    order.swapAt(a, b)
                }
                results.append(ReorderResult(swaps: swaps, kendallTau: kendallTau(order), accuracy: accuracy(modes, order: order)))
                progress(results.count, swapCounts.count * repeats)
            }
        }
        return results
    }
}

/// Kendall's τ between `order` and the identity: 1 unchanged, −1 reversed.
public func kendallTau(_ order: [Int]) -> Float {
    let n = order.count
    guard n > 1 else { return 1 }
    var concordant = 0, discordant = 0
    for i in 0..<n {
        for j in i + 1..<n {
            if order[i] < order[j] { concordant += 1 } else { discordant += 1 }
        }
    }
    return Float(concordant - discordant) / Float(n * (n - 1) / 2)
}
