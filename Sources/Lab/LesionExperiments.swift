import Datasets
import Foundation
import Kernels
import Network
import RunProtocol

/// The settings every front end uses for the experiments, so that a live
/// key and a headless command give the same numbers on the same network.
public enum ExperimentDefaults {
    /// Random subsets (or reorderings) per k.
    public static let repeats = 10
    /// Seed of the random subsets and routes.
    public static let seed: UInt64 = 1
    /// The most subsets, reorderings or routes an experiment draws per k or
    /// per path length: each costs a pass, and a lesion experiment keeps
    /// every subset it draws.
    public static let maximumRepeats = 10_000
    /// Routes sampled per path length, and the batch they start from.
    public static let pathRepeats = 20
    public static let pathBatch = 128

    /// k = 0, 1, 2, 4, … and n: a curve over orders of magnitude.
    public static func ks(blocks n: Int) -> [Int] {
        Array(Set([0, n] + sequence(first: 1, next: { $0 * 2 <= n ? $0 * 2 : nil }))).sorted()
    }
}

/// Lesion experiments on a trained network, evaluated on a fixed set of
/// samples (the test split, for the live keys and the headless commands alike). Lesions start from `baseModes`, the modes the network was
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

    /// The modes of the single-block sweep: the intact network first, then
    /// each block lesioned alone with `mode`.
    func singleSweepModes(mode: BlockMode) -> [[BlockMode]] {
        [baseModes] + (0..<blockCount).map { block in
            var modes = baseModes
            modes[block] = mode
            return modes
        }
    }

    /// The result of the sweep from the accuracies of `singleSweepModes`, in order.
    func singleResult(mode: BlockMode, accuracies: [Float]) -> SingleLesionResult {
        let downsampling = trainer.network.downsamplingBlocks
        return SingleLesionResult(mode: mode, intact: accuracies[0], accuracy: Array(accuracies.dropFirst()),
                                  downsampling: downsampling.isEmpty ? nil : (0..<blockCount).map(downsampling.contains))
    }

    /// Lesions each block alone with `mode`.
    public func single(mode: BlockMode = .deleted) -> SingleLesionResult {
        let all = singleSweepModes(mode: mode)
        let accuracies = all.enumerated().map { index, modes -> Float in
            defer { if index > 0 { progress(index, all.count - 1) } }
            return accuracy(modes)
        }
        return singleResult(mode: mode, accuracies: accuracies)
    }

    /// The random deletions for each k: one set for k = 0 and k = n (there
    /// is only one), `repeats` otherwise, drawn from `seed`.
    func kDeletionModes(_ ks: [Int], repeats: Int, seed: UInt64) -> [(k: Int, modes: [BlockMode])] {
        var rng = SeededGenerator(seed: seed)
        return ks.flatMap { k in
            (0..<(k == 0 || k == blockCount ? 1 : repeats)).map { _ -> (k: Int, modes: [BlockMode]) in
                var chosen = Array(0..<blockCount)
                chosen.seededShuffle(using: &rng)
                var modes = baseModes
                for block in chosen.prefix(k) { modes[block] = .deleted }
                return (k, modes)
            }
        }
    }

    /// Mean and spread per k, from the accuracies of `kDeletionModes`, in order.
    static func kDeletionResults(_ sets: [(k: Int, modes: [BlockMode])], accuracies: [Float]) -> [KDeletionResult] {
        var order: [Int] = []
        var byK: [Int: [Double]] = [:]
        for (set, value) in zip(sets, accuracies) {
            if byK[set.k] == nil { order.append(set.k) }
            byK[set.k, default: []].append(Double(value))
        }
        return order.map { k in
            let values = byK[k]!
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            return KDeletionResult(k: k, samples: values.count, mean: Float(mean), std: Float(variance.squareRoot()))
        }
    }

    /// For each k, deletes `repeats` random subsets of k blocks.
    public func kDeletions(_ ks: [Int], repeats: Int, seed: UInt64) -> [KDeletionResult] {
        let sets = kDeletionModes(ks, repeats: repeats, seed: seed)
        let accuracies = sets.enumerated().map { index, set -> Float in
            defer { progress(index + 1, sets.count) }
            return accuracy(set.modes)
        }
        return Self.kDeletionResults(sets, accuracies: accuracies)
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
