import Datasets
import Foundation
import Kernels
import Network
import RunProtocol

/// Veit's measurement, one path length at a time: a batch is sent forward
/// once through the whole (residual) network; each backward pass is then
/// routed through the branches of k random blocks and the shortcuts of the
/// others, and the norm of the gradient at the input is recorded.
public final class PathProbe {
    private let network: ResNet
    private let gradient: Tensor
    private var generator: SeededGenerator
    /// Mean input-gradient norm per path length measured so far, from length 0.
    public private(set) var perPath: [Double] = []

    public var blocks: Int { network.blocks.count }

    init(network: ResNet, batch samples: LabeledSamples, batchSize: Int, seed: UInt64) {
        self.network = network
        var features: [Float] = [], labels: [Int] = []
        samples.gather(0..<min(batchSize, samples.count), features: &features, labels: &labels)
        // A training-mode forward (batch statistics, as in training) must not
        // move the running statistics of a network that is still in use.
        let runningStatistics = network.buffers.map(\.parameter.value)
        let logits = network.forward(Tensor(shape: [labels.count, samples.featureCount], data: features),
                                     modes: Array(repeating: .residual, count: network.blocks.count), training: true)
        for (entry, saved) in zip(network.buffers, runningStatistics) { entry.parameter.value = saved }
        gradient = softmaxCrossEntropy(logits: logits, labels: labels).gradient
        generator = SeededGenerator(seed: seed)
    }

    /// Measures the next path length with `repeats` random routes.
    public func measureNextLength(repeats: Int) {
        let n = blocks, k = perPath.count
        var sum = 0.0
        for _ in 0..<repeats {
            var chosen = Array(0..<n)
            chosen.seededShuffle(using: &generator)
            var routes = Array(repeating: GradientRoute.shortcut, count: n)
            for block in chosen.prefix(k) { routes[block] = .branch }
            network.zeroGradients()
            sum += Double(network.backward(gradient, routes: routes).norm)
        }
        network.zeroGradients()
        perPath.append(sum / Double(repeats))
    }

    public var isComplete: Bool { perPath.count > blocks }

    /// The three statistics, once every length is measured.
    public var result: PathResult {
        let distribution = binomialHalf(blocks)
        let weighted = zip(distribution, perPath).map { $0 * $1 }
        let total = weighted.reduce(0, +)
        let shares = weighted.map { total > 0 ? $0 / total : 0 }
        return PathResult(blocks: blocks, distribution: distribution, gradientPerPath: perPath, totalGradient: shares,
                          effectiveRange: shortestInterval(shares, carrying: 0.9))
    }
}

extension Trainer {
    /// A path probe on a batch of `samples`.
    public func pathProbe(batch samples: LabeledSamples, batchSize: Int, seed: UInt64) -> PathProbe {
        PathProbe(network: network, batch: samples, batchSize: batchSize, seed: seed)
    }

    /// Every path length, `repeats` routes each; see `PathProbe`.
    public func pathGradients(batch samples: LabeledSamples, batchSize: Int, repeats: Int, seed: UInt64,
                              progress: (Int, Int) -> Void = { _, _ in }) -> PathResult {
        let probe = pathProbe(batch: samples, batchSize: batchSize, seed: seed)
        while !probe.isComplete {
            probe.measureNextLength(repeats: repeats)
            progress(probe.perPath.count, probe.blocks + 1)
        }
        return probe.result
    }
}

/// P(k) for k = 0…n under Binomial(n, ½), computed in log space.
func binomialHalf(_ n: Int) -> [Double] {
    let all = lgamma(Double(n + 1)) - Double(n) * log(2.0)
    return (0...n).map { k -> Double in
        let ways: Double = lgamma(Double(k + 1)) + lgamma(Double(n - k + 1))
        return exp(all - ways)
    }
}

/// `[first, last]` of the shortest run of indices whose shares add up to `fraction`.
func shortestInterval(_ shares: [Double], carrying fraction: Double) -> [Int] {
    var best = [0, max(0, shares.count - 1)]
    for start in shares.indices {
        var sum = 0.0
        for end in start..<shares.count {
            sum += shares[end]
            if sum >= fraction - 1e-12 {
                if end - start < best[1] - best[0] { best = [start, end] }
                break
            }
        }
    }
    return best
}
