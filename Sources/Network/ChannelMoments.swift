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
        let count = parts.reduce(0) { $0 + $1.count }
        let mean = parts[0].mean.indices.map { c in parts.reduce(0) { $0 + $1.count * $1.mean[c] } / count }
        squaredDeviations = mean.indices.map { c in
            parts.reduce(0) { sum, part in
                let offset = part.mean[c] - mean[c]
                return sum + part.squaredDeviations[c] + part.count * offset * offset
            }
        }
        (self.count, self.mean) = (count, mean)
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
