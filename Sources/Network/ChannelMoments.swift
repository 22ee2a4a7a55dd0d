import Kernels

/// Per-channel mean and sum of squared deviations of some of a batch's
/// values, with their count: what batch normalisation needs, in a form
/// whose parts, computed by separate shards, combine exactly into the whole
/// batch's in one exchange (Chan, Golub and LeVeque's pairwise formula).
struct ChannelMoments {
    var count: Float
    var mean: [Float]
    var squaredDeviations: [Float]

    /// Two passes over `x`: the means, then the squared deviations from them.
    init(_ x: [Float], _ layout: ChannelLayout) {
        count = Float(layout.count / layout.channels)
        let count = count
        mean = channelSums(x, layout).map { $0 / count }
        squaredDeviations = channelSquaredDeviations(x, from: mean, layout)
    }

    /// The moments of all `parts` together:
    /// M₂ = Σ M₂ₛ + Σ nₛ·(meanₛ − mean)², which needs no large differences.
    init(combining parts: [ChannelMoments]) {
        count = parts.reduce(0) { $0 + $1.count }
        let count = count
        mean = parts.dropFirst().reduce(parts[0].mean.map { $0 * parts[0].count }) { sum, part in
            zip(sum, part.mean).map { $0 + part.count * $1 }
        }.map { $0 / count }
        let mean = mean
        squaredDeviations = parts.reduce([Float](repeating: 0, count: mean.count)) { sum, part in
            (0..<mean.count).map { c in
                let offset = part.mean[c] - mean[c]
                return sum[c] + part.squaredDeviations[c] + part.count * offset * offset
            }
        }
    }

    /// The moments as one array, for a `ShardExchange`.
    var packed: [Float] { [count] + mean + squaredDeviations }

    init(packed: [Float]) {
        let channels = (packed.count - 1) / 2
        count = packed[0]
        mean = Array(packed[1...channels])
        squaredDeviations = Array(packed[(channels + 1)...])
    }
}
