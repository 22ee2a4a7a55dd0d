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
    private var store = TensorStore()

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
        var normalized = store.take(x.count)
        var inverseStd = store.take(batch)
        var out = store.take(x.count)
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
        store.give(input.data)
        return Tensor(shape: input.shape, data: out)
    }

    /// `∂L/∂x`, written over `∂L/∂y` in the gradient's own storage: each
    /// row's sums are taken before its elements are overwritten.
    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        let (batch, f) = (outputGradient.shape[0], features)
        let (gamma, normalized, inverseStd) = (self.gamma.value, self.normalized, self.inverseStd)
        let shape = outputGradient.shape
        var dy = outputGradient.data
        outputGradient = .empty
        var gammaGradient = store.take(f), betaGradient = store.take(f)
        setToZero(&gammaGradient)
        setToZero(&betaGradient)
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
                dy[row + j] = inverseStd[n] * (g - meanG - normalized[row + j] * meanGXHat)
            }
        }
        self.gamma.addToGradient(gammaGradient)
        self.beta.addToGradient(betaGradient)
        // Scratch that nothing else ever held: ready to be taken again at once.
        store.recycle(gammaGradient)
        store.recycle(betaGradient)
        return Tensor(shape: shape, data: dy)
    }

    public func releaseActivations() {
        store.give(normalized)
        store.give(inverseStd)
        (normalized, inverseStd) = ([], [])
    }

    public func use(_ store: TensorStore) { self.store = store }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", parameter: gamma), NamedParameter(name: "bias", parameter: beta)]
    }
}
