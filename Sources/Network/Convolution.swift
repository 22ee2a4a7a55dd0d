import Kernels

/// A 2-D convolution without bias (batch norm follows it in a ResNet) on
/// channel-major `[channels, batch, height, width]` tensors.
///
/// The input is unfolded by `im2col` into a `[Cin·k·k, N·Ho·Wo]` matrix, so
/// the whole batch is one product with the `[Cout, Cin·k·k]` weight, and the
/// result is already channel-major. The weight is stored as PyTorch's
/// `[Cout, Cin, k, k]`.
public final class Convolution: Layer {
    public let weight: Parameter
    public let stride: Int
    public let padding: Int
    private var columns: [Float] = []
    private var geometry: ConvGeometry?

    public init(inputs: Int, outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        weight = Parameter(shape: [outputs, inputs, kernel, kernel], repeating: 0)
        self.stride = stride
        self.padding = padding
    }

    var outputs: Int { weight.shape[0] }
    var inputs: Int { weight.shape[1] }
    var kernel: Int { weight.shape[2] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[0] == inputs,
                     "Convolution expects [\(inputs), N, H, W], got \(input.shape)")
        let g = ConvGeometry(channels: inputs, batch: input.shape[1], height: input.shape[2], width: input.shape[3],
                             kernel: kernel, stride: stride, padding: padding)
        geometry = g
        im2col(input.data, g, into: &columns)
        var out = [Float](repeating: 0, count: outputs * g.outputPixels)
        gemm(.none, .none, m: outputs, n: g.outputPixels, k: g.patchSize,
             weight.value, lda: g.patchSize, columns, ldb: g.outputPixels, beta: 0, &out, ldc: g.outputPixels)
        return Tensor(shape: [outputs, g.batch, g.outputHeight, g.outputWidth], data: out)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        guard let g = geometry else { preconditionFailure("backward before forward") }
        let dy = outputGradient.data
        // dW += dy·colsᵀ ; dcols = Wᵀ·dy ; dx = col2im(dcols)
        gemm(.none, .transposed, m: outputs, n: g.patchSize, k: g.outputPixels,
             dy, lda: g.outputPixels, columns, ldb: g.outputPixels, beta: 1, &weight.gradient, ldc: g.patchSize)
        var columnGradient = [Float](repeating: 0, count: g.patchSize * g.outputPixels)
        gemm(.transposed, .none, m: g.patchSize, n: g.outputPixels, k: outputs,
             weight.value, lda: g.patchSize, dy, ldb: g.outputPixels, beta: 0, &columnGradient, ldc: g.outputPixels)
        var dx: [Float] = []
        col2im(columnGradient, g, into: &dx)
        return Tensor(shape: [g.channels, g.batch, g.height, g.width], data: dx)
    }

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
