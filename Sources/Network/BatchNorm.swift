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
        var runningMean = take(&self.runningMean.value), runningVariance = take(&self.runningVariance.value)
        var mean = runningMean, variance = runningVariance
        if training {
            // Two passes over the batch, in memory order: the means, then the variances.
            var sums = [Double](repeating: 0, count: features)
            forEachElement(outer: outer, inner: inner) { index, c in sums[c] += Double(x[index]) }
            mean = sums.map { Float($0 / Double(m)) }
            var squares = [Double](repeating: 0, count: features)
            forEachElement(outer: outer, inner: inner) { index, c in
                let d = Double(x[index] - mean[c])
                squares[c] += d * d
            }
            variance = squares.map { Float($0 / Double(m)) }
            for c in 0..<features {
                let unbiased = m > 1 ? variance[c] * Float(m) / Float(m - 1) : variance[c]
                runningMean[c] += momentum * (mean[c] - runningMean[c])
                runningVariance[c] += momentum * (unbiased - runningVariance[c])
            }
        }
        let inverseStd = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let (gammas, betas) = (gamma.value, beta.value)
        var out = [Float](repeating: 0, count: x.count)
        forEachElement(outer: outer, inner: inner) { index, c in
            let xHat = (x[index] - mean[c]) * inverseStd[c]
            normalized[index] = xHat
            out[index] = gammas[c] * xHat + betas[c]
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
        var sumDy = [Float](repeating: 0, count: features), sumDyXHat = sumDy
        forEachElement(outer: outer, inner: inner) { index, c in
            sumDy[c] += dy[index]
            sumDyXHat[c] += dy[index] * normalized[index]
        }
        var gammaGradient = take(&gamma.gradient), betaGradient = take(&beta.gradient)
        for c in 0..<features {
            gammaGradient[c] += sumDyXHat[c]
            betaGradient[c] += sumDy[c]
        }
        gamma.gradient = gammaGradient
        beta.gradient = betaGradient
        let scale = (0..<features).map { gammas[$0] * inverseStd[$0] }
        var dx = [Float](repeating: 0, count: dy.count)
        if wasTraining {
            // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂))
            let meanDy = sumDy.map { $0 / m }, meanDyXHat = sumDyXHat.map { $0 / m }
            forEachElement(outer: outer, inner: inner) { index, c in
                dx[index] = scale[c] * (dy[index] - meanDy[c] - normalized[index] * meanDyXHat[c])
            }
        } else {
            forEachElement(outer: outer, inner: inner) { index, c in dx[index] = scale[c] * dy[index] }
        }
        return Tensor(shape: shape, data: dx)
    }

    /// Visits every element in memory order with its channel:
    /// `[outer, channels, inner]`, innermost index fastest.
    @inline(__always)
    private func forEachElement(outer: Int, inner: Int, _ body: (_ index: Int, _ channel: Int) -> Void) {
        var index = 0
        for _ in 0..<outer {
            for c in 0..<features {
                for _ in 0..<inner {
                    body(index, c)
                    index += 1
                }
            }
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
