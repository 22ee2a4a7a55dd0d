import Foundation
import Kernels

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

    /// f'(x), from what the layer saved: y = f(x), or x itself for GELU.
    func derivative(savedValue: Float) -> Float {
        switch self {
        case .relu: let y = savedValue; return y > 0 ? 1 : 0
        case .tanh: let y = savedValue; return 1 - y * y
        case .sigmoid: let y = savedValue; return y * (1 - y)
        case .gelu:
            let x = savedValue
            // Φ(x) + x·φ(x), the exact (erf) GELU as PyTorch defines it.
            let cdf = 0.5 * (1 + erf(x / Float(2).squareRoot()))
            let pdf = exp(-0.5 * x * x) / (2 * Float.pi).squareRoot()
            return cdf + x * pdf
        }
    }
}

/// An element-wise activation layer. It keeps the one tensor its
/// derivative needs: the output, or for GELU the input.
public final class Activation: Layer {
    public let kind: ActivationKind
    private var saved: [Float] = []

    public init(_ kind: ActivationKind) { self.kind = kind }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let output = kind == .relu ? relu(input.data) : input.data.map(kind.value)
        saved = kind == .gelu ? input.data : output
        return Tensor(shape: input.shape, data: output)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        if kind == .relu { return Tensor(shape: outputGradient.shape, data: reluBackward(outputGradient.data, output: saved)) }
        var dx = outputGradient.data
        let saved = saved, kind = kind
        for i in dx.indices { dx[i] *= kind.derivative(savedValue: saved[i]) }
        return Tensor(shape: outputGradient.shape, data: dx)
    }
}
