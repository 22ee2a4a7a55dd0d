/// The arithmetic of a size-preserving 3×3 convolution's training step
/// (forward, weight gradient, input gradient) on one group of images, as
/// `convolutionForward` and `convolutionBackward` do it: the direct tiles
/// (Winograd's, for 3×3 kernels) when they fit the channels, the shifted
/// products otherwise; the group as
/// large as theirs (scratch planes of about 512 KiB), `channels` in and out.
/// The planes are padded (and the input and `∂L/∂y` arranged by pixel)
/// once, when it is built, so that `reslab bench --gemm` times the
/// arithmetic without the copies around it.
public final class ConvolutionProducts {
    private let layout: PaddedLayout
    private let tiling: DirectTiling?
    private let weight: [Float], forwardWeight: [Float], inputGradientWeight: [Float]
    private let workspace = ConvolutionWorkspace()
    private let input: [Float], outputGradient: [Float], inputByPixel: [Float], gradientByPixel: [Float]
    private let offsets: [Int], mirroredOffsets: [Int]
    private var product: [Float], weightGradient: [Float]

    /// The images in the group.
    public let images: Int
    /// Floating-point operations of one `run`: for Winograd's tiles, their
    /// products' multiply-adds (`winogradOperations`, three times); for the shifted products,
    /// over every position of the span (the padding between image rows too).
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
        let tiling = DirectTiling(g, outputs: channels, inputGradient: true)
        self.tiling = tiling
        var rng = SeededGenerator(seed: seed)
        func randomPixels() -> [Float] { (0..<channels * g.batch * size * size).map { _ in rng.normal() } }
        func padded(_ pixels: [Float]) -> [Float] {
            var planes = [Float](repeating: 0, count: channels * layout.planeStride)
            pixels.withUnsafeBufferPointer { x in
                planes.withUnsafeMutableBufferPointer { layout.pad(x.baseAddress!, channels: channels, images: 0..<images, into: $0.baseAddress!) }
            }
            return planes
        }
        func byPixel(_ pixels: [Float]) -> [Float] {
            var result = [Float](repeating: 0, count: images * size * size * channels)
            pixels.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer {
                    transposeToPixels(x.baseAddress!, batch: g.batch, pixelsPerImage: size * size, channels: channels,
                                      images: 0..<images, into: $0.baseAddress!)
                }
            }
            return result
        }
        let inputPixels = randomPixels(), gradientPixels = randomPixels()
        input = padded(inputPixels)
        outputGradient = padded(gradientPixels)
        inputByPixel = byPixel(inputPixels)
        gradientByPixel = byPixel(gradientPixels)
        weight = (0..<channels * g.patchSize).map { _ in rng.normal() }
        // The weight as the engine arranges it for the tiles (forward, and
        // mirrored for the input gradient) or for the shifted products.
        var forward: [Float] = [], forInputGradient: [Float] = []
        if let tiling {
            weight.withUnsafeBufferPointer {
                tiling.arrangeWeight($0.baseAddress!, outputs: channels, inputs: channels, kernel: 3, mirrored: false,
                                     into: &forward)
                tiling.arrangeWeight($0.baseAddress!, outputs: channels, inputs: channels, kernel: 3, mirrored: true,
                                     into: &forInputGradient)
            }
        } else {
            weightByInputChannel(weight, outputs: channels, inputs: channels, taps: 9, into: &forInputGradient)
        }
        forwardWeight = forward
        inputGradientWeight = forInputGradient
        offsets = layout.tapOffsets(channels: channels)
        mirroredOffsets = layout.tapOffsets(channels: channels, sign: -1)
        product = [Float](repeating: 0, count: channels * max(layout.span, images * size * size))
        // By tap, or Winograd's 36 transformed positions.
        weightGradient = [Float](repeating: 0, count: channels * channels * winogradPositions)
        let perColumn = 2 * channels * g.patchSize
        usefulOperations = 3 * perColumn * images * size * size
        if tiling?.winograd == true {
            let winograd = winogradOperations(g, images: images, inputs: channels, channels: channels)
            operations = 3 * winograd
        } else {
            operations = tiling == nil ? 3 * perColumn * layout.span : usefulOperations
        }
    }

    /// The three products, one after another, on the calling thread.
    public func run() {
        let (layout, channels) = (layout, layout.g.channels)
        product.withUnsafeMutableBufferPointer { product in
            weightGradient.withUnsafeMutableBufferPointer { weightGradient in
                guard let tiling else {
                    layout.forwardProduct(weight: weight, outputs: channels, input: input, offsets: offsets,
                                          into: product.baseAddress!)
                    layout.weightGradientProduct(outputGradient: outputGradient, outputs: channels, input: input,
                                                 offsets: offsets, beta: 0, into: weightGradient.baseAddress!)
                    layout.inputGradientProduct(weightByInput: inputGradientWeight, outputs: channels,
                                                outputGradient: outputGradient, mirroredOffsets: mirroredOffsets,
                                                into: product.baseAddress!)
                    return
                }
                // The forward product and the input gradient's, from the
                // planes or (Winograd's) by pixel.
                func outputTiles(planes: [Float], byPixel: [Float], weight: [Float]) {
                    if tiling.winograd {
                        winogradOutputTiles(byPixel: byPixel, layout.g, images: images, inputs: channels, u: weight,
                                            channels: channels, workspace: workspace, into: product.baseAddress!)
                    } else {
                        tiling.outputTiles(planes: planes, layout: layout, inputs: channels, weight: weight,
                                           channels: channels, into: product.baseAddress!)
                    }
                }
                outputTiles(planes: input, byPixel: inputByPixel, weight: forwardWeight)
                if tiling.winograd {
                    winogradTransformedGradient(inputByPixel: inputByPixel, gradientByPixel: gradientByPixel,
                                                layout.g, images: images, inputs: channels, outputs: channels,
                                                overwrite: true, workspace: workspace,
                                                into: weightGradient.baseAddress!)
                } else {
                    tiling.weightGradientTiles(planes: input, layout: layout, inputs: channels,
                                               gradientByPixel: gradientByPixel, outputs: channels, overwrite: true,
                                               into: weightGradient.baseAddress!)
                }
                outputTiles(planes: outputGradient, byPixel: gradientByPixel, weight: inputGradientWeight)
            }
        }
    }
}
