import Kernels
import Network
import Testing

/// Central finite difference of `loss` with respect to one value, reached
/// through `get` and `set` (so that `loss` may read the same storage).
func numericDerivative(get: () -> Float, set: (Float) -> Void, epsilon: Float, _ loss: () -> Double) -> Double {
    let saved = get()
    set(saved + epsilon)
    let plus = loss()
    set(saved - epsilon)
    let minus = loss()
    set(saved)
    return (plus - minus) / Double(2 * epsilon)
}

/// The finite difference of `loss` with respect to `parameter.value[index]`.
func numericDerivative(_ parameter: Parameter, at index: Int, epsilon: Float, _ loss: () -> Double) -> Double {
    numericDerivative(get: { parameter.value[index] }, set: { parameter.value[index] = $0 }, epsilon: epsilon, loss)
}

/// ‖numeric − analytic‖ / ‖analytic‖ over the sampled entries.
func relativeError(_ numeric: [Double], _ analytic: [Double]) -> Double {
    let diff = zip(numeric, analytic).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    let scale = analytic.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return diff / max(scale, 1e-6)
}

/// Sample indices spread across an array.
func sampleIndices(_ count: Int, _ limit: Int = 24) -> [Int] {
    count <= limit ? Array(0..<count) : (0..<limit).map { $0 * count / limit }
}

/// Random values in ±[0.1, 1.1], kept away from zero so that ReLU's kink is
/// never inside a finite-difference step.
func awayFromZero(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in (rng.uniform() < 0.5 ? -1 : 1) * (0.1 + rng.uniform()) }
}

/// Checks a layer's input and parameter gradients for the loss Σ w ⊙ layer(x).
func checkLayerGradients(_ layer: any Layer, inputShape: [Int], training: Bool = true,
                         epsilon: Float = 1e-2, tolerance: Double = 1e-2, seed: UInt64 = 1,
                         sourceLocation: SourceLocation = #_sourceLocation) {
    var rng = SeededGenerator(seed: seed)
    for entry in layer.parameters {
        entry.parameter.value = entry.parameter.value.map { $0 + 0.3 * rng.uniform(in: -1...1) }
    }
    var input = Tensor(shape: inputShape, data: awayFromZero(inputShape.reduce(1, *), &rng))
    let probe = layer.forward(input, training: training)
    let weights = (0..<probe.count).map { _ in rng.uniform(in: -1...1) }
    func loss() -> Double {
        let y = layer.forward(input, training: training)
        return zip(y.data, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    _ = layer.forward(input, training: training)
    for entry in layer.parameters { entry.parameter.zeroGradient() }
    let inputGradient = layer.backward(Tensor(shape: probe.shape, data: weights))

    let indices = sampleIndices(input.count)
    let numeric = indices.map { i in
        numericDerivative(get: { input.data[i] }, set: { input.data[i] = $0 }, epsilon: epsilon, loss)
    }
    let inputError = relativeError(numeric, indices.map { Double(inputGradient.data[$0]) })
    #expect(inputError < tolerance, "∂/∂input relative error \(inputError)", sourceLocation: sourceLocation)

    for entry in layer.parameters {
        let p = entry.parameter
        let analytic = p.gradient
        let picks = sampleIndices(p.value.count)
        let numeric = picks.map { numericDerivative(p, at: $0, epsilon: epsilon, loss) }
        let error = relativeError(numeric, picks.map { Double(analytic[$0]) })
        #expect(error < tolerance, "∂/∂\(entry.name) relative error \(error)", sourceLocation: sourceLocation)
    }
}
