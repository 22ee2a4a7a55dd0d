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

    private var normalized: [Float] = []
    private var inverseStd: [Float] = []
    private var wasTraining = true
    private var shape: [Int] = []

    public init(features: Int) {
        gamma = Parameter(shape: [features], repeating: 1)
        beta = Parameter(shape: [features], repeating: 0)
        runningMean = Parameter(shape: [features], repeating: 0)
        runningVariance = Parameter(shape: [features], repeating: 1)
    }

    var features: Int { gamma.shape[0] }

    /// The tensor seen as `[outer, channels, inner]`: dense `[N, F, 1]`,
    /// channel-major conv `[1, C, N·H·W]`.
    private func view(_ shape: [Int]) -> (outer: Int, inner: Int) {
        precondition((shape.count == 2 && shape[1] == features) || (shape.count == 4 && shape[0] == features),
                     "BatchNorm(\(features)) cannot normalise \(shape)")
        return shape.count == 2 ? (shape[0], 1) : (1, shape[1] * shape[2] * shape[3])
    }

    // Hot loops work on local arrays moved out of the layer (`take`), so that
    // no element access goes through a dynamically checked class property.

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let (outer, inner) = view(input.shape)
        let x = input.data, m = outer * inner
        shape = input.shape
        wasTraining = training
        var normalized = take(&self.normalized)
        if normalized.count != x.count { normalized = [Float](repeating: 0, count: x.count) }
        var inverseStd = [Float](repeating: 0, count: features)
        var runningMean = take(&self.runningMean.value), runningVariance = take(&self.runningVariance.value)
        let (gammas, betas) = (gamma.value, beta.value)
        var out = [Float](repeating: 0, count: x.count)
        for c in 0..<features {
            var mean: Float, variance: Float
            if training {
                var sum: Double = 0, squares: Double = 0
                forEachIndex(channel: c, outer: outer, inner: inner) { sum += Double(x[$0]) }
                let mu = sum / Double(m)
                forEachIndex(channel: c, outer: outer, inner: inner) {
                    let d = Double(x[$0]) - mu
                    squares += d * d
                }
                mean = Float(mu)
                variance = Float(squares / Double(m))
                let unbiased = m > 1 ? variance * Float(m) / Float(m - 1) : variance
                runningMean[c] += momentum * (mean - runningMean[c])
                runningVariance[c] += momentum * (unbiased - runningVariance[c])
            } else {
                mean = runningMean[c]
                variance = runningVariance[c]
            }
            let invStd = 1 / (variance + epsilon).squareRoot()
            inverseStd[c] = invStd
            let (g, b) = (gammas[c], betas[c])
            forEachIndex(channel: c, outer: outer, inner: inner) {
                let xHat = (x[$0] - mean) * invStd
                normalized[$0] = xHat
                out[$0] = g * xHat + b
            }
        }
        self.normalized = normalized
        self.inverseStd = inverseStd
        self.runningMean.value = runningMean
        self.runningVariance.value = runningVariance
        return Tensor(shape: input.shape, data: out)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let (outer, inner) = view(shape)
        let dy = outputGradient.data, m = Float(outer * inner)
        let (normalized, inverseStd, gammas) = (self.normalized, self.inverseStd, gamma.value)
        var gammaGradient = take(&gamma.gradient), betaGradient = take(&beta.gradient)
        var dx = [Float](repeating: 0, count: dy.count)
        for c in 0..<features {
            var sumDy: Float = 0, sumDyXHat: Float = 0
            forEachIndex(channel: c, outer: outer, inner: inner) {
                sumDy += dy[$0]
                sumDyXHat += dy[$0] * normalized[$0]
            }
            gammaGradient[c] += sumDyXHat
            betaGradient[c] += sumDy
            let scale = gammas[c] * inverseStd[c]
            if wasTraining {
                // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂))
                let (meanDy, meanDyXHat) = (sumDy / m, sumDyXHat / m)
                forEachIndex(channel: c, outer: outer, inner: inner) {
                    dx[$0] = scale * (dy[$0] - meanDy - normalized[$0] * meanDyXHat)
                }
            } else {
                forEachIndex(channel: c, outer: outer, inner: inner) { dx[$0] = scale * dy[$0] }
            }
        }
        gamma.gradient = gammaGradient
        beta.gradient = betaGradient
        return Tensor(shape: shape, data: dx)
    }

    @inline(__always)
    private func forEachIndex(channel c: Int, outer: Int, inner: Int, _ body: (Int) -> Void) {
        for o in 0..<outer {
            let base = (o * features + c) * inner
            for i in 0..<inner { body(base + i) }
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
