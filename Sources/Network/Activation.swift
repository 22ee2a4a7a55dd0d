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

extension ActivationKind {
    /// Whether the derivative is read from the input (GELU) rather than the output.
    var derivativeNeedsInput: Bool { self == .gelu }

    /// f(x) element-wise, in a new array.
    func applied(to x: [Float]) -> [Float] {
        self == .relu ? Kernels.relu(x) : x.map(value)
    }

    /// f(x) element-wise, in `x`'s own storage.
    func apply(inPlace x: inout [Float]) {
        if self == .relu { return reluInPlace(&x) }
        for i in x.indices { x[i] = value(x[i]) }
    }

    /// `dy · f'`, from the value the derivative needs: the input for GELU,
    /// the output for the others.
    func gradient(_ dy: [Float], saved: [Float]) -> [Float] {
        if self == .relu { return Kernels.reluBackward(dy, output: saved) }
        var dx = dy
        multiplyByDerivative(&dx, saved: saved)
        return dx
    }

    /// `gradient`, in `dy`'s own storage.
    func multiplyByDerivative(_ dy: inout [Float], saved: [Float]) {
        if self == .relu { return reluBackwardInPlace(&dy, output: saved) }
        for i in dy.indices { dy[i] *= derivative(savedValue: saved[i]) }
    }
}

/// An element-wise activation layer. It keeps the one tensor its
/// derivative needs: the output, or for GELU the input.
public final class Activation: Layer {
    public let kind: ActivationKind
    private var saved: [Float] = []

    public init(_ kind: ActivationKind) { self.kind = kind }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let output = kind.applied(to: input.data)
        saved = kind.derivativeNeedsInput ? input.data : output
        return Tensor(shape: input.shape, data: output)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        Tensor(shape: outputGradient.shape, data: kind.gradient(outputGradient.data, saved: saved))
    }

    public func releaseActivations() { saved = [] }
}
