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

    /// Per-channel working arrays, kept from pass to pass so that a pass
    /// allocates nothing but its output.
    private var moments = ChannelMoments()
    private var variance: [Float] = [], scale: [Float] = [], shift: [Float] = []
    /// Σ dy and Σ dy·x̂ per channel: this shard's, then the whole batch's.
    private var sumDy: [Float] = [], sumDyXHat: [Float] = []
    private var xScale: [Float] = [], constant: [Float] = []
    /// Sent to and received from the other shards.
    private var outgoing: [Float] = [], incoming: [Float] = []
    /// A zero per channel: the coefficient of the term an affine map leaves out.
    private let zeros: [Float]

    /// Set during a data-parallel step, on the network and its replicas:
    /// training then normalises with the statistics of the whole batch, which
    /// the shards pool here.
    var shardExchange: (exchange: ShardExchange, shard: Int)?

    public init(features: Int) {
        gamma = Parameter(shape: [features], repeating: 1)
        beta = Parameter(shape: [features], repeating: 0)
        runningMean = Parameter(shape: [features], repeating: 0)
        runningVariance = Parameter(shape: [features], repeating: 1)
        zeros = [Float](repeating: 0, count: features)
        (inverseStd, variance, scale, shift, xScale, constant) = (zeros, zeros, zeros, zeros, zeros, zeros)
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
        (self.input, shape, wasTraining) = (x, input.shape, training)
        if training {
            measureBatch(x, layout)
        } else {
            mean = runningMean.value
            variance = runningVariance.value
        }
        // y = γ·x̂ + β with x̂ = (x − mean)/σ: one pass, y = (γ/σ)·x + (β − γ·mean/σ).
        for c in 0..<features {
            inverseStd[c] = 1 / (variance[c] + epsilon).squareRoot()
            scale[c] = gamma.value[c] * inverseStd[c]
            shift[c] = beta.value[c] - scale[c] * mean[c]
        }
        return Tensor(shape: input.shape, data: channelCombination(x, times: scale, x, times: zeros, plus: shift, layout))
    }

    /// The batch's mean and (biased) variance, pooled over the shards in a
    /// data-parallel step, folded into the running statistics.
    private func measureBatch(_ x: [Float], _ layout: ChannelLayout) {
        moments.measure(x, layout)
        if let (exchange, shard) = shardExchange {
            moments.pack(into: &outgoing)
            exchange.gather(outgoing, shard: shard, into: &incoming)
            moments.combine(packed: incoming, shards: exchange.shards)
        }
        let m = moments.count
        batchCount = m
        mean.removeAll(keepingCapacity: true)
        mean.append(contentsOf: moments.mean)
        let unbiasing = m > 1 ? m / (m - 1) : 1
        for c in 0..<features {
            variance[c] = moments.squaredDeviations[c] / m
            runningMean.value[c] += momentum * (mean[c] - runningMean.value[c])
            runningVariance.value[c] += momentum * (variance[c] * unbiasing - runningVariance.value[c])
        }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let layout = layout(shape)
        let dy = outputGradient.data
        // This shard's Σ dy and Σ dy·x̂ go into β's and γ's gradients (the
        // shards' gradients are added up later); ∂L/∂x needs the whole batch's.
        channelSums(dy, layout, into: &sumDy)
        channelDots(dy, input, centeredAt: mean, layout, into: &sumDyXHat)
        for c in 0..<features {
            sumDyXHat[c] *= inverseStd[c]
            scale[c] = gamma.value[c] * inverseStd[c]
        }
        beta.addToGradient(sumDy)
        gamma.addToGradient(sumDyXHat)
        guard wasTraining else {
            return Tensor(shape: shape, data: channelCombination(dy, times: scale, dy, times: zeros, plus: zeros, layout))
        }
        addUpShards()
        // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)), with x̂'s coefficient
        // applied to x as in the forward pass.
        let m = batchCount
        for c in 0..<features {
            let xHatScale = -scale[c] * sumDyXHat[c] / m
            xScale[c] = xHatScale * inverseStd[c]
            constant[c] = -scale[c] * sumDy[c] / m - xScale[c] * mean[c]
        }
        return Tensor(shape: shape, data: channelCombination(dy, times: scale, input, times: xScale, plus: constant,
                                                             layout))
    }

    /// In a data-parallel step, replaces this shard's `sumDy` and `sumDyXHat`
    /// with their sums over all shards (in one exchange); outside one, they
    /// are the whole batch's already.
    private func addUpShards() {
        guard let (exchange, shard) = shardExchange else { return }
        outgoing.removeAll(keepingCapacity: true)
        outgoing.append(contentsOf: sumDy)
        outgoing.append(contentsOf: sumDyXHat)
        exchange.sum(outgoing, shard: shard, into: &incoming)
        for c in 0..<features {
            sumDy[c] = incoming[c]
            sumDyXHat[c] = incoming[features + c]
        }
    }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", parameter: gamma), NamedParameter(name: "bias", parameter: beta)]
    }

    public var buffers: [NamedParameter] {
        [NamedParameter(name: "running_mean", parameter: runningMean),
         NamedParameter(name: "running_var", parameter: runningVariance)]
    }
}
