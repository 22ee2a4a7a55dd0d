import Kernels

/// A fully connected layer, `y = x·Wᵀ + b`, on `[batch, inputs]`.
/// The weight is stored `[outputs, inputs]`, as in PyTorch.
public final class Linear: Layer {
    public let weight: Parameter
    public let bias: Parameter
    private var input = Tensor.empty
    /// `[batch, outputs]` and this shard's bias gradient, kept from step to
    /// step so that a step of the same batch size allocates neither.
    private var outputShape: [Int] = []
    private var biasGradientPart: [Float] = []
    private var store = TensorStore()
    /// Set on the layers of a data-parallel step's shards: the backward pass
    /// then computes the input gradient only and keeps the output gradient,
    /// so that the whole batch's parameter gradients are added afterwards,
    /// shard by shard, into one layer (`addParameterGradients(ofShards:)`).
    var keepsOutputGradient = false
    private var keptOutputGradient = Tensor.empty

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

    /// Adds the parameter gradients, or keeps `∂L/∂y` for them (`keepsOutputGradient`).
    public func accumulateParameterGradients(_ outputGradient: consuming Tensor) {
        if keepsOutputGradient {
            keptOutputGradient = outputGradient
        } else {
            addParameterGradients(outputGradient, input: input)
            store.give(outputGradient.data)
        }
    }

    /// Adds the parameter gradients of the batch that `shards` (this layer's
    /// copies in a data-parallel step's shards, in shard order) ran, from
    /// the output gradients they kept: shard by shard into this layer's,
    /// which sums in the order that adding up each shard's own gradients did.
    func addParameterGradients(ofShards shards: [Linear]) {
        for shard in shards where !shard.keptOutputGradient.data.isEmpty {
            addParameterGradients(shard.keptOutputGradient, input: shard.input)
        }
    }

    /// dW += dyᵀ·x ; db += Σₙ dy.
    private func addParameterGradients(_ outputGradient: Tensor, input: Tensor) {
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
        store.give(input.data)
        input = .empty
        store.give(keptOutputGradient.data)
        keptOutputGradient = .empty
    }

    public func use(_ store: TensorStore) { self.store = store }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", parameter: weight), NamedParameter(name: "bias", parameter: bias)]
    }
}
