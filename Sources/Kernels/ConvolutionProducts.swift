/// The three matrix products of a size-preserving 3×3 convolution's
/// training step (forward, weight gradient, input gradient) on one group of
/// images, as `convolutionForward` and `convolutionBackward` make them: the
/// same calls, the group as large as theirs (scratch planes of about
/// 512 KiB), `channels` in and out. The planes are padded once, when it is
/// built, so that `reslab bench --gemm` times the products without the
/// copies around them.
public final class ConvolutionProducts {
    private let layout: PaddedLayout
    private let weight: [Float], weightByInput: [Float]
    private let input: [Float], outputGradient: [Float]
    private let offsets: [Int], mirroredOffsets: [Int]
    private var product: [Float], weightGradient: [Float]

    /// The images in the group.
    public let images: Int
    /// Floating-point operations of one `run`, over every position of the
    /// span (the padding between image rows too): what the products compute.
    public let operations: Int
    /// The same over the images' pixels alone: what the convolution needs.
    public let usefulOperations: Int

    /// One group of `size`×`size` images from a share of `batch` (the first
    /// of `shares`), with random values.
    public init(channels: Int, size: Int, batch: Int, shares: Int, seed: UInt64 = 7) {
        let g = ConvGeometry(channels: channels, batch: batch, height: size, width: size, kernel: 3, stride: 1, padding: 1)
        var groups = imageGroups(g, share: 0, of: shares, outputs: channels)
        let images = groups.next()?.count ?? 1
        self.images = images
        let layout = PaddedLayout(g, images: images)
        self.layout = layout
        var rng = SeededGenerator(seed: seed)
        func randomPlanes() -> [Float] {
            let pixels = (0..<channels * g.batch * size * size).map { _ in rng.normal() }
            var planes = [Float](repeating: 0, count: channels * layout.planeStride)
            pixels.withUnsafeBufferPointer { x in
                planes.withUnsafeMutableBufferPointer { layout.pad(x.baseAddress!, channels: channels, images: 0..<images, into: $0.baseAddress!) }
            }
            return planes
        }
        input = randomPlanes()
        outputGradient = randomPlanes()
        weight = (0..<channels * g.patchSize).map { _ in rng.normal() }
        var byInput: [Float] = []
        weightByInputChannel(weight, outputs: channels, inputs: channels, taps: 9, into: &byInput)
        weightByInput = byInput
        offsets = layout.tapOffsets(channels: channels)
        mirroredOffsets = layout.tapOffsets(channels: channels, sign: -1)
        product = [Float](repeating: 0, count: channels * layout.span)
        weightGradient = [Float](repeating: 0, count: channels * g.patchSize)
        let perColumn = 2 * channels * g.patchSize
        operations = 3 * perColumn * layout.span
        usefulOperations = 3 * perColumn * images * size * size
    }

    /// The three products, one after another, on the calling thread.
    public func run() {
        let (layout, channels) = (layout, layout.g.channels)
        product.withUnsafeMutableBufferPointer { product in
            weightGradient.withUnsafeMutableBufferPointer { weightGradient in
                layout.forwardProduct(weight: weight, outputs: channels, input: input, offsets: offsets,
                                      into: product.baseAddress!)
                layout.weightGradientProduct(outputGradient: outputGradient, outputs: channels, input: input,
                                             offsets: offsets, beta: 0, into: weightGradient.baseAddress!)
                layout.inputGradientProduct(weightByInput: weightByInput, outputs: channels,
                                            outputGradient: outputGradient, mirroredOffsets: mirroredOffsets,
                                            into: product.baseAddress!)
            }
        }
    }
}
