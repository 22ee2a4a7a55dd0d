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
    private let workspaces: [ConvolutionWorkspace]

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
        let output = convolutionForward(input.data, g, weight: weight.value, outputs: outputs, workspaces: workspaces)
        return Tensor(shape: [outputs, g.batch, g.outputHeight, g.outputWidth], data: output)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, input: input)
    }

    /// dW only: the stem of a network does not need `∂L/∂x`.
    public func accumulateParameterGradients(_ outputGradient: Tensor) {
        _ = backward(outputGradient, input: input, inputGradient: false)
    }

    /// Adds `∂L/∂W` for the pass whose input was `input` and returns `∂L/∂input`.
    func backward(_ outputGradient: Tensor, input: Tensor) -> Tensor {
        Tensor(shape: input.shape, data: backward(outputGradient, input: input, inputGradient: true) ?? [])
    }

    private func backward(_ outputGradient: Tensor, input: Tensor, inputGradient: Bool) -> [Float]? {
        var dx: [Float]?
        weight.accumulateGradient { gradient, existing in
            dx = convolutionBackward(input.data, geometry(input.shape), weight: weight.value, outputs: outputs,
                                     outputGradient: outputGradient.data, weightGradient: &gradient, existing: existing,
                                     inputGradient: inputGradient, workspaces: workspaces)
        }
        return dx
    }

    public func releaseActivations() { input = .empty }

    public var parameters: [NamedParameter] { [NamedParameter(name: "weight", parameter: weight)] }
}

/// Turns a batch of flat images `[batch, C·H·W]` (as datasets store them,
/// NCHW) into the channel-major `[C, batch, H, W]` that convolutions use.
public final class ChannelMajor: Layer {
    public let channels, height, width: Int
    private var batch = 0

    public init(channels: Int, height: Int, width: Int) {
        (self.channels, self.height, self.width) = (channels, height, width)
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        batch = input.shape[0]
        return Tensor(shape: [channels, batch, height, width],
                      data: swapOuterAxes(input.data, first: batch, second: channels))
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        Tensor(shape: [batch, channels * height * width],
               data: swapOuterAxes(outputGradient.data, first: channels, second: batch))
    }

    /// `[a, b, plane] → [b, a, plane]`.
    private func swapOuterAxes(_ x: [Float], first a: Int, second b: Int) -> [Float] {
        let plane = height * width
        var out = [Float](repeating: 0, count: x.count)
        for i in 0..<a {
            for j in 0..<b {
                for p in 0..<plane { out[(j * a + i) * plane + p] = x[(i * b + j) * plane + p] }
            }
        }
        return out
    }
}
