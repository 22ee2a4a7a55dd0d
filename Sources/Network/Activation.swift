import Foundation

/// The element-wise non-linearities a block can use.
public enum ActivationKind: String, CaseIterable, Codable, Sendable {
    case relu, tanh, sigmoid, gelu

    /// f(x).
    func value(_ x: Float) -> Float {
        switch self {
        case .relu: return max(x, 0)
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return 1 / (1 + exp(-x))
        case .gelu: return 0.5 * x * (1 + erf(x / Float(2).squareRoot()))
        }
    }

    /// f'(x), given x and y = f(x).
    func derivative(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .relu: return x > 0 ? 1 : 0
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .gelu:
            // Φ(x) + x·φ(x), the exact (erf) GELU as PyTorch defines it.
            let cdf = 0.5 * (1 + erf(x / Float(2).squareRoot()))
            let pdf = exp(-0.5 * x * x) / (2 * Float.pi).squareRoot()
            return cdf + x * pdf
        }
    }
}

/// An element-wise activation layer.
public final class Activation: Layer {
    public let kind: ActivationKind
    private var input: [Float] = []
    private var output: [Float] = []

    public init(_ kind: ActivationKind) { self.kind = kind }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        self.input = input.data
        output = input.data.map(kind.value)
        return Tensor(shape: input.shape, data: output)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        var dx = outputGradient.data
        let (x, y) = (input, output)
        for i in dx.indices { dx[i] *= kind.derivative(x[i], y[i]) }
        return Tensor(shape: outputGradient.shape, data: dx)
    }
}
