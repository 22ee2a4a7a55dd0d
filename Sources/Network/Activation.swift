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

    /// f(x) element-wise, written into `out`, which has `x`'s size.
    func apply(_ x: [Float], into out: inout [Float]) {
        if self == .relu { return Kernels.relu(x, into: &out) }
        for i in x.indices { out[i] = value(x[i]) }
    }

    /// f(x) element-wise, in `x`'s own storage.
    func apply(inPlace x: inout [Float]) {
        if self == .relu { return reluInPlace(&x) }
        for i in x.indices { x[i] = value(x[i]) }
    }

    /// `dy · f'` in `dy`'s own storage, from the value the derivative
    /// needs: the input for GELU, the output for the others.
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
    private var store = TensorStore()

    public init(_ kind: ActivationKind) { self.kind = kind }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var output = store.take(input.count)
        kind.apply(input.data, into: &output)
        if kind.derivativeNeedsInput {
            saved = input.data
        } else {
            saved = output
            store.give(input.data)
        }
        return Tensor(shape: input.shape, data: output)
    }

    /// `∂L/∂x`, in the storage of `∂L/∂y`.
    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        kind.multiplyByDerivative(&outputGradient.data, saved: saved)
        return outputGradient
    }

    public func releaseActivations() {
        store.give(saved)
        saved = []
    }

    public func use(_ store: TensorStore) { self.store = store }
}
