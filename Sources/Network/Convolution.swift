import Kernels

/// A 2-D convolution without bias (batch norm follows it in a ResNet) on
/// channel-major `[channels, batch, height, width]` tensors.
///
/// A few images at a time are unfolded by `im2col` into a
/// `[Cin·k·k, images·Ho·Wo]` column matrix small enough to stay in cache,
/// and multiplied by the `[Cout, Cin·k·k]` weight straight into their columns
/// of the channel-major output. Backward unfolds the same images again
/// rather than keeping every column matrix. The weight is stored as
/// PyTorch's `[Cout, Cin, k, k]`.
public final class Convolution: Layer {
    public let weight: Parameter
    public let stride: Int
    public let padding: Int
    private var input = Tensor(zeros: [0])
    private var columns: [Float] = []
    private var columnGradient: [Float] = []

    public init(inputs: Int, outputs: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        weight = Parameter(shape: [outputs, inputs, kernel, kernel], repeating: 0)
        self.stride = stride
        self.padding = padding
    }

    var outputs: Int { weight.shape[0] }
    var inputs: Int { weight.shape[1] }
    var kernel: Int { weight.shape[2] }

    private func geometry(_ shape: [Int]) -> ConvGeometry {
        ConvGeometry(channels: inputs, batch: shape[1], height: shape[2], width: shape[3],
                     kernel: kernel, stride: stride, padding: padding)
    }

    /// The batch split into groups of images whose column matrix is about 512 KiB.
    private func imageGroups(_ g: ConvGeometry) -> [Range<Int>] {
        let perImage = g.patchSize * g.outputHeight * g.outputWidth
        let size = max(1, (1 << 17) / max(perImage, 1))
        return Swift.stride(from: 0, to: g.batch, by: size).map { $0..<min($0 + size, g.batch) }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[0] == inputs,
                     "Convolution expects [\(inputs), N, H, W], got \(input.shape)")
        self.input = input
        let g = geometry(input.shape)
        let pixels = g.outputHeight * g.outputWidth
        var out = [Float](repeating: 0, count: outputs * g.outputPixels)
        for images in imageGroups(g) {
            im2col(input.data, g, images: images, into: &columns)
            // out[:, images] = W · columns
            gemm(.none, .none, m: outputs, n: images.count * pixels, k: g.patchSize,
                 weight.value, lda: g.patchSize, columns, ldb: images.count * pixels,
                 beta: 0, &out, cOffset: images.lowerBound * pixels, ldc: g.outputPixels)
        }
        return Tensor(shape: [outputs, g.batch, g.outputHeight, g.outputWidth], data: out)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let g = geometry(input.shape)
        let pixels = g.outputHeight * g.outputWidth
        let dy = outputGradient.data
        var dx: [Float] = []
        for images in imageGroups(g) {
            let width = images.count * pixels, first = images.lowerBound * pixels
            im2col(input.data, g, images: images, into: &columns)
            // dW += dy[:, images] · columnsᵀ
            gemm(.none, .transposed, m: outputs, n: g.patchSize, k: width,
                 dy, aOffset: first, lda: g.outputPixels, columns, ldb: width,
                 beta: 1, &weight.gradient, ldc: g.patchSize)
            // dcolumns = Wᵀ · dy[:, images], folded back onto the input by col2im
            if columnGradient.count != g.patchSize * width {
                columnGradient = [Float](repeating: 0, count: g.patchSize * width)
            }
            gemm(.transposed, .none, m: g.patchSize, n: width, k: outputs,
                 weight.value, lda: g.patchSize, dy, bOffset: first, ldb: g.outputPixels,
                 beta: 0, &columnGradient, ldc: width)
            col2im(columnGradient, g, images: images, into: &dx)
        }
        return Tensor(shape: input.shape, data: dx)
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
