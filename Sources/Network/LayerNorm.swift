import Kernels
/// Layer normalisation: each sample of `[batch, features]` is normalised
/// over its own features, then scaled and shifted per feature. It behaves
/// the same in training and evaluation.
public final class LayerNorm: Layer {
    public let gamma: Parameter
    public let beta: Parameter
    public let epsilon: Float = 1e-5
    private var normalized: [Float] = []
    private var inverseStd: [Float] = []

    public init(features: Int) {
        gamma = Parameter(shape: [features], repeating: 1)
        beta = Parameter(shape: [features], repeating: 0)
    }

    var features: Int { gamma.shape[0] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 2 && input.shape[1] == features, "LayerNorm expects [N, \(features)]")
        let (batch, f) = (input.shape[0], features)
        let (x, gamma, beta) = (input.data, self.gamma.value, self.beta.value)
        // Local arrays, kept in the layer at the end: element by element
        // through the layer's own properties, every access would be checked
        // for exclusivity.
        var normalized = [Float](repeating: 0, count: x.count)
        var inverseStd = [Float](repeating: 0, count: batch)
        var out = [Float](repeating: 0, count: x.count)
        for n in 0..<batch {
            let row = n * f
            var sum: Float = 0
            for j in 0..<f { sum += x[row + j] }
            let mean = sum / Float(f)
            var squares: Float = 0
            for j in 0..<f { squares += (x[row + j] - mean) * (x[row + j] - mean) }
            let invStd = 1 / (squares / Float(f) + epsilon).squareRoot()
            inverseStd[n] = invStd
            for j in 0..<f {
                let xHat = (x[row + j] - mean) * invStd
                normalized[row + j] = xHat
                out[row + j] = gamma[j] * xHat + beta[j]
            }
        }
        (self.normalized, self.inverseStd) = (normalized, inverseStd)
        return Tensor(shape: input.shape, data: out)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let (batch, f) = (outputGradient.shape[0], features)
        let (dy, gamma, normalized, inverseStd) = (outputGradient.data, self.gamma.value, self.normalized, self.inverseStd)
        var dx = [Float](repeating: 0, count: dy.count)
        var gammaGradient = [Float](repeating: 0, count: f), betaGradient = gammaGradient
        for n in 0..<batch {
            let row = n * f
            // With g = γ·dy: dx = 1/σ · (g − mean(g) − x̂ · mean(g·x̂))
            var sumG: Float = 0, sumGXHat: Float = 0
            for j in 0..<f {
                let g = gamma[j] * dy[row + j]
                sumG += g
                sumGXHat += g * normalized[row + j]
                gammaGradient[j] += dy[row + j] * normalized[row + j]
                betaGradient[j] += dy[row + j]
            }
            let (meanG, meanGXHat) = (sumG / Float(f), sumGXHat / Float(f))
            for j in 0..<f {
                let g = gamma[j] * dy[row + j]
                dx[row + j] = inverseStd[n] * (g - meanG - normalized[row + j] * meanGXHat)
            }
        }
        self.gamma.addToGradient(gammaGradient)
        self.beta.addToGradient(betaGradient)
        return Tensor(shape: outputGradient.shape, data: dx)
    }

    public func releaseActivations() { normalized = [] }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", parameter: gamma), NamedParameter(name: "bias", parameter: beta)]
    }
}
