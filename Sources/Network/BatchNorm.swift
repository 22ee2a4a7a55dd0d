import Kernels

/// Batch normalisation over the channel axis: `[batch, features]` for dense
/// layers, `[channels, batch, height, width]` for convolutions.
///
/// Training normalises with the batch's own mean and (biased) variance and
/// folds them into running statistics (momentum 0.1, unbiased variance, as
/// PyTorch does); evaluation normalises with the running statistics.
public final class BatchNorm: Layer {
    public let gamma: Parameter
    public let beta: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    public let epsilon: Float = 1e-5
    public let momentum: Float = 0.1

    /// What the backward pass needs: the input and its batch statistics
    /// (x̂ = (x − mean)·inverseStd is not stored, but folded into each pass).
    private var input: [Float] = []
    private var mean: [Float] = []
    private var inverseStd: [Float] = []
    /// Elements per channel in the whole batch, over all shards.
    private var batchCount: Float = 0
    private var wasTraining = true
    private var shape: [Int] = []

    /// Set during a data-parallel step, on the network and its replicas:
    /// training then normalises with the statistics of the whole batch, which
    /// the shards pool here.
    var shardExchange: (exchange: ShardExchange, shard: Int)?

    public init(features: Int) {
        gamma = Parameter(shape: [features], repeating: 1)
        beta = Parameter(shape: [features], repeating: 0)
        runningMean = Parameter(shape: [features], repeating: 0)
        runningVariance = Parameter(shape: [features], repeating: 1)
    }

    var features: Int { gamma.shape[0] }

    /// The tensor seen as `[outer, channels, inner]`: dense `[N, F, 1]`,
    /// channel-major conv `[1, C, N·H·W]`.
    private func layout(_ shape: [Int]) -> ChannelLayout {
        precondition((shape.count == 2 && shape[1] == features) || (shape.count == 4 && shape[0] == features),
                     "BatchNorm(\(features)) cannot normalise \(shape)")
        return ChannelLayout(shape: shape)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let layout = layout(input.shape)
        let x = input.data
        shape = input.shape
        wasTraining = training
        var mean = runningMean.value, variance = runningVariance.value
        if training {
            var moments = ChannelMoments(x, layout)
            if let (exchange, shard) = shardExchange {
                let parts = exchange.gather(moments.packed, shard: shard)
                moments = ChannelMoments(combining: parts.map(ChannelMoments.init(packed:)))
            }
            let m = moments.count
            batchCount = m
            mean = moments.mean
            variance = moments.squaredDeviations.map { $0 / m }
            let unbiasing = m > 1 ? m / (m - 1) : 1
            let momentum = momentum
            runningMean.value = zip(runningMean.value, mean).map { $0 + momentum * ($1 - $0) }
            runningVariance.value = zip(runningVariance.value, variance).map { $0 + momentum * ($1 * unbiasing - $0) }
        }
        let inverseStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        (self.input, self.mean, self.inverseStd) = (x, mean, inverseStd)
        // y = γ·x̂ + β with x̂ = (x − mean)/σ: one pass, y = (γ/σ)·x + (β − γ·mean/σ).
        let scale = zip(gamma.value, inverseStd).map(*)
        let shift = (0..<features).map { beta.value[$0] - scale[$0] * mean[$0] }
        return Tensor(shape: input.shape, data: channelAffine(x, scale: scale, shift: shift, layout))
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let layout = layout(shape)
        let dy = outputGradient.data
        // This shard's Σ dy and Σ dy·x̂ go into β's and γ's gradients (the
        // shards' gradients are added up later); ∂L/∂x needs the whole batch's.
        let partSumDy = channelSums(dy, layout)
        let partSumDyXHat = zip(channelDots(dy, input, centeredAt: mean, layout), inverseStd).map(*)
        beta.addToGradient(partSumDy)
        gamma.addToGradient(partSumDyXHat)
        let scale = zip(gamma.value, inverseStd).map(*)
        guard wasTraining else {
            return Tensor(shape: shape, data: channelAffine(dy, scale: scale, shift: [Float](repeating: 0, count: features),
                                                            layout))
        }
        // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)), with x̂'s coefficient
        // applied to x as in the forward pass.
        let (sumDy, sumDyXHat) = wholeBatch(partSumDy, partSumDyXHat), m = batchCount
        let xHatScale = (0..<features).map { -scale[$0] * sumDyXHat[$0] / m }
        let xScale = zip(xHatScale, inverseStd).map(*)
        let dx = channelCombination(dy, times: scale, input, times: xScale,
                                    plus: (0..<features).map { -scale[$0] * sumDy[$0] / m - xScale[$0] * mean[$0] }, layout)
        return Tensor(shape: shape, data: dx)
    }

    /// The sums of `sumDy` and `sumDyXHat` over the shards of a data-parallel
    /// step (in one exchange), or the two themselves outside one.
    private func wholeBatch(_ sumDy: [Float], _ sumDyXHat: [Float]) -> ([Float], [Float]) {
        guard let (exchange, shard) = shardExchange else { return (sumDy, sumDyXHat) }
        let sums = exchange.sum(sumDy + sumDyXHat, shard: shard)
        return (Array(sums[..<features]), Array(sums[features...]))
    }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", parameter: gamma), NamedParameter(name: "bias", parameter: beta)]
    }

    public var buffers: [NamedParameter] {
        [NamedParameter(name: "running_mean", parameter: runningMean),
         NamedParameter(name: "running_var", parameter: runningVariance)]
    }
}
