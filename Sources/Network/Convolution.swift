import Kernels

/// A 2-D convolution without bias (batch norm follows it in a ResNet) on
/// channel-major `[channels, batch, height, width]` tensors. The work is
/// done by `convolutionForward` and `convolutionBackward`: matrix products
/// over shifted padded images (or im2col columns when the stride changes
/// the size), a few images at a time, one share of the batch per core.
/// The weight is stored as PyTorch's `[Cout, Cin, k, k]`.
public final class Convolution: Layer {
    public let weight: Parameter
    public let stride: Int
    public let padding: Int
    private var input = Tensor.empty
    /// Where it runs its images, one share per workspace (see
    /// `ResNet.runConvolutions(in:)`).
    var workspaces: [ConvolutionWorkspace]
    private var store = TensorStore()
    /// The output shape of the last input shape, kept so that a step does
    /// not build the same small array again.
    private var shapes: (input: [Int], output: [Int]) = ([], [])

    /// `workspaces` may be shared by the convolutions of one network, which
    /// never run at the same time, so that their scratch memory is allocated once.
    public init(inputs: Int, outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                workspaces: [ConvolutionWorkspace] = ConvolutionWorkspace.perShare()) {
        weight = Parameter(shape: [outputs, inputs, kernel, kernel], repeating: 0)
        self.stride = stride
        self.padding = padding
        self.workspaces = workspaces
    }

    var outputs: Int { weight.shape[0] }
    var inputs: Int { weight.shape[1] }
    var kernel: Int { weight.shape[2] }

    private func geometry(_ shape: [Int]) -> ConvGeometry {
        ConvGeometry(channels: inputs, batch: shape[1], height: shape[2], width: shape[3],
                     kernel: kernel, stride: stride, padding: padding)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        self.input = input
        return output(for: input)
    }

    /// `W ⊛ input`, without keeping the input (see `PreActivatedConvolution`,
    /// which builds it again for the backward pass).
    func output(for input: Tensor) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[0] == inputs,
                     "Convolution expects [\(inputs), N, H, W], got \(input.shape)")
        let g = geometry(input.shape)
        if shapes.input != input.shape {
            shapes = (input.shape, [outputs, g.batch, g.outputHeight, g.outputWidth])
        }
        var output = store.takeTensor(shapes.output)
        convolutionForward(input.data, g, weight: weight.value, outputs: outputs, workspaces: workspaces,
                           into: &output.data)
        return output
    }

    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        backward(outputGradient, input: input)
    }

    /// dW only: the stem of a network does not need `∂L/∂x`.
    public func accumulateParameterGradients(_ outputGradient: consuming Tensor) {
        var none: [Float] = []
        addWeightGradient(outputGradient, input: input, inputGradient: &none)
        store.give(outputGradient.data)
    }

    /// Adds `∂L/∂W` for the pass whose input was `input` and returns `∂L/∂input`.
    func backward(_ outputGradient: consuming Tensor, input: Tensor) -> Tensor {
        var inputGradient = store.takeTensor(input.shape)
        addWeightGradient(outputGradient, input: input, inputGradient: &inputGradient.data)
        store.give(outputGradient.data)
        return inputGradient
    }

    /// Adds `∂L/∂W` and writes `∂L/∂input` into `inputGradient`, unless it is empty.
    private func addWeightGradient(_ outputGradient: Tensor, input: Tensor, inputGradient: inout [Float]) {
        weight.accumulateGradient { gradient, existing in
            convolutionBackward(input.data, geometry(input.shape), weight: weight.value, outputs: outputs,
                                outputGradient: outputGradient.data, weightGradient: &gradient, existing: existing,
                                inputGradient: &inputGradient, workspaces: workspaces)
        }
    }

    public func releaseActivations() {
        store.give(input.data)
        input = .empty
    }

    public func use(_ store: TensorStore) { self.store = store }

    public var parameters: [NamedParameter] { [NamedParameter(name: "weight", parameter: weight)] }
}

/// Turns a batch of flat images `[batch, C·H·W]` (as datasets store them,
/// NCHW) into the channel-major `[C, batch, H, W]` that convolutions use.
public final class ChannelMajor: Layer {
    public let channels, height, width: Int
    private var store = TensorStore()
    /// The flat and the channel-major shape of the last batch.
    private var shapes: (flat: [Int], channelMajor: [Int]) = ([], [])

    public init(channels: Int, height: Int, width: Int) {
        (self.channels, self.height, self.width) = (channels, height, width)
    }

    private var batch: Int { shapes.flat.first ?? 0 }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if shapes.flat != input.shape { shapes = (input.shape, [channels, input.shape[0], height, width]) }
        defer { store.give(input.data) }
        return swapOuterAxes(input, first: batch, second: channels, to: shapes.channelMajor)
    }

    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        defer { store.give(outputGradient.data) }
        return swapOuterAxes(outputGradient, first: channels, second: batch, to: shapes.flat)
    }

    /// `[a, b, plane] → [b, a, plane]`, in a tensor from the store.
    private func swapOuterAxes(_ x: Tensor, first a: Int, second b: Int, to shape: [Int]) -> Tensor {
        let plane = height * width
        var out = store.takeTensor(shape)
        for i in 0..<a {
            for j in 0..<b {
                for p in 0..<plane { out.data[(j * a + i) * plane + p] = x.data[(i * b + j) * plane + p] }
            }
        }
        return out
    }

    public func use(_ store: TensorStore) { self.store = store }
}
