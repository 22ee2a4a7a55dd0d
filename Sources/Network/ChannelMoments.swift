import Kernels

/// Per-channel mean and sum of squared deviations of some of a batch's
/// values, with their count: what batch normalisation needs, in a form
/// whose parts, computed by separate shards, combine exactly into the whole
/// batch's in one exchange (Chan, Golub and LeVeque's pairwise formula).
///
/// A batch norm keeps one and measures into it step after step, so that
/// its arrays are reused rather than allocated anew.
struct ChannelMoments {
    var count: Float = 0
    var mean: [Float] = []
    var squaredDeviations: [Float] = []

    /// This part's moments, in two passes over `x`: the means, then the
    /// squared deviations from them.
    mutating func measure(_ x: [Float], _ layout: ChannelLayout) {
        count = Float(layout.count / layout.channels)
        channelSums(x, layout, into: &mean)
        for c in mean.indices { mean[c] /= count }
        channelSquaredDeviations(x, from: mean, layout, into: &squaredDeviations)
    }

    /// The moments as one array, `[count, mean…, squared deviations…]`, for a `ShardExchange`.
    func pack(into packed: inout [Float]) {
        packed.removeAll(keepingCapacity: true)
        packed.append(count)
        packed.append(contentsOf: mean)
        packed.append(contentsOf: squaredDeviations)
    }

    /// Becomes the moments of all the parts packed one after another in
    /// `parts`, in shard order:
    /// M₂ = Σ M₂ₛ + Σ nₛ·(meanₛ − mean)², which needs no large differences.
    mutating func combine(packed parts: [Float], shards: Int) {
        let channels = mean.count, stride = 1 + 2 * channels
        func partCount(_ s: Int) -> Float { parts[s * stride] }
        func partMean(_ s: Int, _ c: Int) -> Float { parts[s * stride + 1 + c] }
        func partSquaredDeviations(_ s: Int, _ c: Int) -> Float { parts[s * stride + 1 + channels + c] }
        var total: Float = 0
        for s in 0..<shards { total += partCount(s) }
        for c in 0..<channels {
            var weighted: Float = 0
            for s in 0..<shards { weighted += partCount(s) * partMean(s, c) }
            mean[c] = weighted / total
        }
        for c in 0..<channels {
            var sum: Float = 0
            for s in 0..<shards {
                let offset = partMean(s, c) - mean[c]
                sum = sum + partSquaredDeviations(s, c) + partCount(s) * offset * offset
            }
            squaredDeviations[c] = sum
        }
        count = total
    }
}
