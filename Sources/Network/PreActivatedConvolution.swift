import Kernels

/// norm → activation → convolution as one layer, the half of a
/// pre-activation block's branch, which keeps only what the norm needs: its
/// input. The activation's output, which the convolution's weight gradient
/// reads, is computed again from it in `backward` instead of being stored
/// from `forward`, to the same bits.
///
/// A ReLU is applied by the norm as it writes its output, so that the two
/// take one pass over memory (oneDNN fuses them the same way).
///
/// A convolutional block then keeps two tensors of its size for the backward
/// pass (its input and the first convolution's output) instead of four, for
/// one more element-wise pass over each; the tensors are the largest part of
/// a training step's memory. Dense blocks keep the separate layers: their
/// activations are a batch of `width` floats, too small to be worth the pass.
public final class PreActivatedConvolution: Layer {
    /// `nil` without normalisation.
    public let norm: BatchNorm?
    public let activation: ActivationKind
    public let convolution: Convolution
    /// The suffix of the parts' names (`norm1`, `conv1`), as in the separate layers.
    private let index: Int
    /// The input of the last forward pass, kept only when there is no norm to keep it.
    private var input: Tensor?
    private var store = TensorStore()

    public init(norm: BatchNorm?, activation: ActivationKind, convolution: Convolution, index: Int) {
        (self.norm, self.activation, self.convolution, self.index) = (norm, activation, convolution, index)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        self.input = norm == nil ? input : nil
        let activated = activatedInput(input, training: training)
        let output = convolution.output(for: activated)
        store.recycle((consume activated).data)
        return output
    }

    /// The activation of the norm's output, or of `input` without a norm. A
    /// ReLU is applied by the norm, in the pass that writes its output.
    private func activatedInput(_ input: Tensor, training: Bool) -> Tensor {
        guard let norm else { return activated(input, owned: false) }
        if activation == .relu { return norm.forward(input, training: training, rectified: true) }
        return activated(norm.forward(input, training: training, rectified: false), owned: true)
    }

    /// Rebuilds the activation's output, runs the convolution's backward pass
    /// on it and then the activation's and the norm's, each in the storage of
    /// the gradient it receives. Besides `∂L/∂y`, at most three tensors of
    /// its size are alive at once (the activation's output, its gradient and,
    /// for GELU, its input).
    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        var gradient: Tensor
        do {
            let (activated, savedInput) = recomputedActivation()
            gradient = convolution.backward(outputGradient, input: activated)
            activation.multiplyByDerivative(&gradient.data, saved: (savedInput ?? activated).data)
            store.recycle((consume activated).data)
            if norm != nil, let savedInput { store.recycle((consume savedInput).data) }
        }
        guard let norm else { return gradient }
        return norm.backward(consume gradient)
    }

    /// The activation's output, rebuilt from what the layer kept as
    /// `forward` built it, and for GELU its input, which the derivative reads.
    private func recomputedActivation() -> (activated: Tensor, savedInput: Tensor?) {
        if let norm, activation == .relu { return (norm.recomputedOutput(rectified: true), nil) }
        guard let normalized = norm?.recomputedOutput(rectified: false) ?? input else {
            preconditionFailure("backward before forward")
        }
        let savedInput = activation.derivativeNeedsInput ? normalized : nil
        return (activated(consume normalized, owned: norm != nil && savedInput == nil), savedInput)
    }

    /// The activation of `x`, one pass either way: in `x`'s own storage when
    /// nothing else holds it (a norm's fresh output), else in an array from
    /// the store (writing in place into shared storage would first copy it).
    private func activated(_ x: consuming Tensor, owned: Bool) -> Tensor {
        guard owned else {
            var output = store.takeTensor(x.shape)
            activation.apply(x.data, into: &output.data)
            return output
        }
        activation.apply(inPlace: &x.data)
        return x
    }

    public var parameters: [NamedParameter] {
        (norm?.parameters.prefixed("norm\(index)") ?? []) + convolution.parameters.prefixed("conv\(index)")
    }

    public var buffers: [NamedParameter] { norm?.buffers.prefixed("norm\(index)") ?? [] }

    public var batchNorms: [BatchNorm] { norm.map { [$0] } ?? [] }

    public func releaseActivations() {
        if let input { store.give(input.data) }
        input = nil
        norm?.releaseActivations()
    }

    public func use(_ store: TensorStore) {
        self.store = store
        norm?.use(store)
        convolution.use(store)
    }
}
