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

    /// What the backward pass needs: the input, and its batch statistics in
    /// `channels` (x̂ = (x − mean)·inverseStd is not stored, but folded into each pass).
    private var input: [Float] = []
    /// Elements per channel in the whole batch, over all shards.
    private var batchCount: Float = 0
    private var wasTraining = true
    private var shape: [Int] = []

    /// The per-channel arrays, kept from pass to pass so that a pass
    /// allocates nothing but its output (see `PerChannel`).
    private var channels: PerChannel
    private var moments = ChannelMoments()
    /// Sent to and received from the other shards.
    private var outgoing: [Float] = [], incoming: [Float] = []
    /// A zero per channel: the coefficient of the term an affine map leaves out.
    private let zeros: [Float]
    private var store = TensorStore()

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
        channels = PerChannel(zeros)
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
        forward(input, training: training, rectified: false)
    }

    /// `forward`, with a ReLU applied to the output in the same pass when
    /// `rectified` (for a layer that follows the norm with one).
    func forward(_ input: Tensor, training: Bool, rectified: Bool) -> Tensor {
        let layout = layout(input.shape)
        let x = input.data
        (self.input, shape, wasTraining) = (x, input.shape, training)
        if training {
            measureBatch(x, layout)
        } else {
            channels.mean = runningMean.value
            channels.variance = runningVariance.value
        }
        channels.prepareAffine(gamma: gamma.value, beta: beta.value, epsilon: epsilon)
        return normalized(layout, rectified: rectified)
    }

    /// The output of the last forward pass (through a ReLU if `rectified`),
    /// computed again from the input it kept: the same bits, for a layer
    /// that would rather not store them.
    func recomputedOutput(rectified: Bool) -> Tensor {
        normalized(layout(shape), rectified: rectified)
    }

    /// `γ·x̂ + β` of the kept input, with the scale and shift of the last
    /// forward pass, and through a ReLU if `rectified`.
    private func normalized(_ layout: ChannelLayout, rectified: Bool) -> Tensor {
        var output = store.takeTensor(shape)
        channelCombination(input, times: channels.scale, input, times: zeros, plus: channels.shift, layout,
                           into: &output.data, rectified: rectified)
        return output
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
        batchCount = moments.count
        channels.adopt(moments, momentum: momentum, runningMean: &runningMean.value,
                       runningVariance: &runningVariance.value)
    }

    /// `∂L/∂x`, written over `∂L/∂y` in the gradient's own storage.
    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        let layout = layout(shape)
        let input = prepareBackward(outputGradient.data, layout)
        channelCombination(inPlace: &outputGradient.data, times: channels.scale, input, times: channels.xScale,
                           plus: channels.constant, layout)
        return outputGradient
    }

    /// Adds β's and γ's gradients and leaves in `channels` the coefficients of
    /// `dx = scale·dy + xScale·x' + constant`, returning `x'`: the input
    /// after a training pass, zeros-weighted `dy` after an evaluation pass.
    private func prepareBackward(_ dy: [Float], _ layout: ChannelLayout) -> [Float] {
        // This shard's Σ dy and Σ dy·x̂ go into β's and γ's gradients (the
        // shards' gradients are added up later); ∂L/∂x needs the whole batch's.
        let mean = channels.mean
        channelSums(dy, layout, into: &channels.sumDy)
        channelDots(dy, input, centeredAt: mean, layout, into: &channels.sumDyXHat)
        channels.scaleSums(gamma: gamma.value)
        beta.addToGradient(channels.sumDy)
        gamma.addToGradient(channels.sumDyXHat)
        guard wasTraining else {
            channels.prepareEvaluationGradient(zeros)
            return dy
        }
        addUpShards()
        channels.prepareInputGradient(count: batchCount)
        return input
    }

    /// In a data-parallel step, replaces this shard's Σ dy and Σ dy·x̂ with
    /// their sums over all shards (in one exchange); outside one, they are
    /// the whole batch's already.
    private func addUpShards() {
        guard let (exchange, shard) = shardExchange else { return }
        outgoing.removeAll(keepingCapacity: true)
        outgoing.append(contentsOf: channels.sumDy)
        outgoing.append(contentsOf: channels.sumDyXHat)
        exchange.sum(outgoing, shard: shard, into: &incoming)
        channels.replaceSums(withPacked: incoming)
    }

    /// A batch norm's per-channel arrays and the arithmetic on them, one
    /// value so that each loop runs on plain local storage (element by
    /// element through the class's properties, every access was checked
    /// for exclusivity, which made `mlp-fashion` 18 % slower).
    private struct PerChannel {
        var mean, variance, inverseStd, scale, shift: [Float]
        /// Σ dy and Σ dy·x̂: this shard's, then the whole batch's.
        var sumDy, sumDyXHat: [Float]
        /// The coefficient of x and the constant in `dx = scale·dy + xScale·x + constant`.
        var xScale, constant: [Float]

        init(_ zeros: [Float]) {
            (mean, variance, inverseStd, scale, shift) = (zeros, zeros, zeros, zeros, zeros)
            (sumDy, sumDyXHat, xScale, constant) = (zeros, zeros, zeros, zeros)
        }

        /// Takes the batch's mean and (biased) variance from `moments` and
        /// folds them into the running statistics (unbiased variance).
        mutating func adopt(_ moments: ChannelMoments, momentum: Float, runningMean: inout [Float],
                            runningVariance: inout [Float]) {
            let m = moments.count
            let unbiasing = m > 1 ? m / (m - 1) : 1
            mean.removeAll(keepingCapacity: true)
            mean.append(contentsOf: moments.mean)
            for c in mean.indices {
                variance[c] = moments.squaredDeviations[c] / m
                runningMean[c] += momentum * (mean[c] - runningMean[c])
                runningVariance[c] += momentum * (variance[c] * unbiasing - runningVariance[c])
            }
        }

        /// y = γ·x̂ + β with x̂ = (x − mean)/σ, as one pass:
        /// y = (γ/σ)·x + (β − γ·mean/σ).
        mutating func prepareAffine(gamma: [Float], beta: [Float], epsilon: Float) {
            for c in mean.indices {
                inverseStd[c] = 1 / (variance[c] + epsilon).squareRoot()
                scale[c] = gamma[c] * inverseStd[c]
                shift[c] = beta[c] - scale[c] * mean[c]
            }
        }

        /// Σ dy·(x − mean) becomes Σ dy·x̂, and `scale` γ/σ again.
        mutating func scaleSums(gamma: [Float]) {
            for c in mean.indices {
                sumDyXHat[c] *= inverseStd[c]
                scale[c] = gamma[c] * inverseStd[c]
            }
        }

        /// The sums from a `ShardExchange`: `[Σ dy…, Σ dy·x̂…]`.
        mutating func replaceSums(withPacked sums: [Float]) {
            let features = mean.count
            for c in 0..<features {
                sumDy[c] = sums[c]
                sumDyXHat[c] = sums[features + c]
            }
        }

        /// dx = γ/σ · dy, with the running statistics fixed.
        mutating func prepareEvaluationGradient(_ zeros: [Float]) {
            xScale.removeAll(keepingCapacity: true)
            xScale.append(contentsOf: zeros)
            constant.removeAll(keepingCapacity: true)
            constant.append(contentsOf: zeros)
        }

        /// dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)) over a batch of `m`
        /// per channel, with x̂'s coefficient applied to x as in the forward pass.
        mutating func prepareInputGradient(count m: Float) {
            for c in mean.indices {
                let xHatScale = -scale[c] * sumDyXHat[c] / m
                xScale[c] = xHatScale * inverseStd[c]
                constant[c] = -scale[c] * sumDy[c] / m - xScale[c] * mean[c]
            }
        }
    }

    public var batchNorms: [BatchNorm] { [self] }

    public func releaseActivations() {
        store.give(input)
        input = []
    }

    public func use(_ store: TensorStore) { self.store = store }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", parameter: gamma), NamedParameter(name: "bias", parameter: beta)]
    }

    public var buffers: [NamedParameter] {
        [NamedParameter(name: "running_mean", parameter: runningMean),
         NamedParameter(name: "running_var", parameter: runningVariance)]
    }
}
