import Kernels

/// A fully connected layer, `y = x·Wᵀ + b`, on `[batch, inputs]`.
/// The weight is stored `[outputs, inputs]`, as in PyTorch. In a
/// data-parallel step it may put its parameter gradients off (`backlog`).
public final class Linear: Layer, PutOffWork {
    public let weight: Parameter
    public let bias: Parameter
    private var input = Tensor.empty
    /// `[batch, outputs]` and this shard's bias gradient, kept from step to
    /// step so that a step of the same batch size allocates neither.
    private var outputShape: [Int] = []
    private var biasGradientPart: [Float] = []
    private var store = TensorStore()
    /// Set during a data-parallel step whose shards meet at batch norms:
    /// the weight and bias gradients are then put off into it, with the
    /// output gradient they need kept in `putOffGradient` until they run.
    var backlog: ShardBacklog?
    private var putOffGradient = Tensor.empty

    public init(inputs: Int, outputs: Int) {
        weight = Parameter(shape: [outputs, inputs], repeating: 0)
        bias = Parameter(shape: [outputs], repeating: 0)
    }

    var inputs: Int { weight.shape[1] }
    var outputs: Int { weight.shape[0] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 2 && input.shape[1] == inputs, "Linear expects [N, \(inputs)], got \(input.shape)")
        self.input = input
        let batch = input.shape[0]
        var out = store.take(batch * outputs)
        gemm(.none, .transposed, m: batch, n: outputs, k: inputs,
             input.data, lda: inputs, weight.value, ldb: inputs, bias: bias.value, &out, ldc: outputs)
        if outputShape.first != batch { outputShape = [batch, outputs] }
        return Tensor(shape: outputShape, data: out)
    }

    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        // dx = dy·W
        let batch = input.shape[0]
        var dx = store.take(batch * inputs)
        gemm(.none, .none, m: batch, n: inputs, k: outputs,
             outputGradient.data, lda: outputs, weight.value, ldb: inputs, beta: 0, &dx, ldc: inputs)
        accumulateParameterGradients(outputGradient)
        return Tensor(shape: input.shape, data: dx)
    }

    /// Adds the parameter gradients now, or leaves them in the backlog.
    public func accumulateParameterGradients(_ outputGradient: consuming Tensor) {
        guard let backlog else {
            addParameterGradients(outputGradient)
            store.give(outputGradient.data)
            return
        }
        precondition(putOffGradient.data.isEmpty, "a linear layer's gradients put off twice")
        putOffGradient = outputGradient
        backlog.add(self)
    }

    public func runPutOffWork() {
        addParameterGradients(putOffGradient)
        store.give(putOffGradient.data)
        putOffGradient = .empty
    }

    /// dW += dyᵀ·x ; db += Σₙ dy.
    private func addParameterGradients(_ outputGradient: Tensor) {
        let batch = input.shape[0]
        let dy = outputGradient.data
        weight.accumulateGradient { gradient, existing in
            gemm(.transposed, .none, m: outputs, n: inputs, k: batch,
                 dy, lda: outputs, input.data, ldb: inputs, beta: existing, &gradient, ldc: inputs)
        }
        channelSums(dy, outputGradient.channelLayout, into: &biasGradientPart)
        bias.addToGradient(biasGradientPart)
    }

    public func releaseActivations() {
        precondition(putOffGradient.data.isEmpty, "a linear layer's input released before its put-off gradients ran")
        store.give(input.data)
        input = .empty
    }

    public func use(_ store: TensorStore) { self.store = store }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", parameter: weight), NamedParameter(name: "bias", parameter: bias)]
    }
}
