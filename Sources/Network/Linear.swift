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
        var out = repeatedRows(bias.value, count: batch)
        gemm(.none, .transposed, m: batch, n: outputs, k: inputs,
             input.data, lda: inputs, weight.value, ldb: inputs, beta: 1, &out, ldc: outputs)
        if outputShape.first != batch { outputShape = [batch, outputs] }
        return Tensor(shape: outputShape, data: out)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        accumulateParameterGradients(outputGradient)
        // dx = dy·W
        let batch = input.shape[0]
        let dy = outputGradient.data
        var dx = [Float](repeating: 0, count: batch * inputs)
        gemm(.none, .none, m: batch, n: inputs, k: outputs,
             dy, lda: outputs, weight.value, ldb: inputs, beta: 0, &dx, ldc: inputs)
        return Tensor(shape: input.shape, data: dx)
    }

    /// dW += dyᵀ·x ; db += Σₙ dy.
    public func accumulateParameterGradients(_ outputGradient: Tensor) {
        let batch = input.shape[0]
        let dy = outputGradient.data
        weight.accumulateGradient { gradient, existing in
            gemm(.transposed, .none, m: outputs, n: inputs, k: batch,
                 dy, lda: outputs, input.data, ldb: inputs, beta: existing, &gradient, ldc: inputs)
        }
        channelSums(dy, outputGradient.channelLayout, into: &biasGradientPart)
        bias.addToGradient(biasGradientPart)
    }

    public func releaseActivations() { input = .empty }

    public var parameters: [NamedParameter] {
        [NamedParameter(name: "weight", parameter: weight), NamedParameter(name: "bias", parameter: bias)]
    }
}
