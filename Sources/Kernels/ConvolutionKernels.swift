/// A whole convolution, forward and backward, on channel-major `[C, N, H, W]`
/// activations, a few images at a time. When it keeps the image size, it
/// pads them into planes and computes directly from them in register tiles
/// (DirectConvolution.swift; for 3×3 kernels with channels in 16s, by
/// Winograd's minimal filtering, WinogradConvolution.swift and
/// WinogradWeightGradient.swift), or, when its channels or image rows do not
/// fit the tiles, as matrix products of shifted planes
/// (ShiftedConvolution.swift). A convolution of stride 2 runs the direct
/// tiles forward and for its weight gradient when they fit, and im2col's
/// products and col2im for its input gradient; any other, im2col and
/// col2im throughout.
///
/// The batch is cut into one share of images per core. Each share is
/// padded (or unfolded), multiplied and copied (or folded) back by one
/// thread in its own workspace, so the scratch arrays stay in that core's
/// cache and no small product has to be split between cores. The shares do not depend on the thread count,
/// and their weight gradients are summed in a fixed order, so results are
/// the same with one thread or two.

/// Scratch arrays for one share of a convolution's images, kept from call to
/// call so that a training step does not allocate them again. During a call
/// each workspace is used by the one thread that handles its share.
public final class ConvolutionWorkspace {
    /// im2col's column matrix (strided convolutions the direct tiles do not
    /// fit) and its gradient (every strided convolution's input gradient).
    var columns: [Float] = []
    var columnGradient: [Float] = []
    /// The share's part of `∂L/∂W`.
    var weightGradient: [Float] = []
    /// Padded planes of the input (or, for Winograd's forward tiles, the
    /// input by pixel, `[pixels, channels]`) and of `∂L/∂y`, and a product
    /// over their span or by output pixel (size-preserving convolutions,
    /// and the direct tiles of strided ones).
    var paddedInput: [Float] = []
    var paddedGradient: [Float] = []
    var product: [Float] = []
    /// The shifted planes' row offsets, by the layout they were made for
    /// (see `tapOffsets(_:channels:sign:)`).
    var tapOffsetTables: [TapOffsetsKey: [Int]] = [:]
    /// The weight as the input gradient of a size-preserving convolution
    /// reads it: mirrored for the direct or Winograd tiles
    /// (`DirectTiling.arrangeWeight`), by input channel for the shifted
    /// products (`weightByInputChannel`). Only the first share's is used.
    var inputGradientWeight: [Float] = []
    /// The weight as the forward tiles read it (`DirectTiling.arrangeWeight`):
    /// arranged by tap, or Winograd's transformed filters. Only the first
    /// share's is used.
    var forwardWeight: [Float] = []
    /// Winograd's transformed patches of a few images and those patches'
    /// products (`winogradOutputTiles`).
    var transformedInput: [Float] = []
    var transformedProduct: [Float] = []
    /// The share's `∂L/∂W` as its tiles sum it, before it is put in
    /// PyTorch's order: by tap (`[k², inputs, outputs]`) for the direct
    /// weight-gradient tiles, or Winograd's `∂L/∂U` (`[36, inputs,
    /// outputs]`); and the group's `∂L/∂y` by pixel, which both read.
    var summedGradient: [Float] = []
    var gradientByPixel: [Float] = []

    public init() {}

    /// One workspace per share: one per core.
    public static func perShare() -> [ConvolutionWorkspace] {
        (0..<WorkerPool.shared.capacity).map { _ in ConvolutionWorkspace() }
    }
}

/// The images of share `share` of `shares`.
func shareImages(_ g: ConvGeometry, share: Int, of shares: Int) -> Range<Int> {
    g.batch * share / shares..<g.batch * (share + 1) / shares
}

/// The images of share `share` of `shares`, in groups whose scratch arrays
/// (the column matrix, or the padded planes) are about 512 KiB. A strided
/// convolution's planes hold every input pixel, where its column matrix
/// holds only the taps of its output pixels: a 1×1 kernel of stride 2
/// reads a quarter of them, so its groups are sized by the planes.
func imageGroups(_ g: ConvGeometry, share: Int, of shares: Int, outputs: Int) -> ImageGroups {
    let paddedPixels = (g.height + g.padding) * (g.width + g.padding), outputPixels = g.outputHeight * g.outputWidth
    let perImage = g.preservesSize
        ? (g.channels + outputs) * paddedPixels
        : max(g.patchSize * outputPixels, g.centresTaps ? g.channels * paddedPixels + outputs * outputPixels : 0)
    return ImageGroups(images: shareImages(g, share: share, of: shares), size: max(1, (1 << 17) / max(perImage, 1)))
}

/// Consecutive ranges of `size` images (the last may be shorter) covering
/// `images`: a plain iterator, so that walking it allocates nothing.
struct ImageGroups: Sequence, IteratorProtocol {
    var images: Range<Int>
    let size: Int

    mutating func next() -> Range<Int>? {
        guard !images.isEmpty else { return nil }
        let group = images.lowerBound..<Swift.min(images.lowerBound + size, images.upperBound)
        images = group.upperBound..<images.upperBound
        return group
    }
}

/// `y = W ⊛ x`: the weight `[outputs, patchSize]` (PyTorch's `[Cout, Cin, k, k]`)
/// applied to `input`, written into `output` (`[outputs, N, Ho, Wo]`).
/// Every image's columns of the output are stored by one product (beta 0),
/// so `output`'s old values are never read.
public func convolutionForward(_ input: [Float], _ g: ConvGeometry, weight: [Float], outputs: Int,
                               workspaces: [ConvolutionWorkspace], into output: inout [Float]) {
    precondition(input.count == g.channels * g.batch * g.height * g.width && weight.count == outputs * g.patchSize
                 && output.count == outputs * g.outputPixels)
    let tiling = DirectTiling(g, outputs: outputs, inputGradient: false)
    if let tiling {
        weight.withUnsafeBufferPointer { w in
            tiling.arrangeWeight(w.baseAddress!, outputs: outputs, inputs: g.channels, kernel: g.kernel, mirrored: false,
                                 into: &workspaces[0].forwardWeight)
        }
    }
    output.withUnsafeMutableBufferPointer { y in
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                workspaces[0].forwardWeight.withUnsafeBufferPointer { forwardWeight in
                    let work = ForwardShares(x: x.baseAddress!, g: g, w: w.baseAddress!, tiling: tiling,
                                             forwardWeight: forwardWeight.baseAddress, outputs: outputs,
                                             workspaces: workspaces, y: y.baseAddress!)
                    WorkerPool.shared.forEachChunk(of: workspaces.count, work)
                }
            }
        }
    }
}

/// `convolutionForward`'s work on a range of shares, each in its own workspace.
private struct ForwardShares: ChunkedWork {
    let x: UnsafePointer<Float>, g: ConvGeometry, w: UnsafePointer<Float>
    let tiling: DirectTiling?, forwardWeight: UnsafePointer<Float>?, outputs: Int
    let workspaces: [ConvolutionWorkspace], y: UnsafeMutablePointer<Float>

    func run(_ shares: Range<Int>) {
        let pixels = g.outputHeight * g.outputWidth
        for share in shares {
            let workspace = workspaces[share]
            for images in imageGroups(g, share: share, of: workspaces.count, outputs: outputs) {
                if let tiling {
                    directConvolutionForward(x, g, tiling: tiling, weight: forwardWeight!, outputs: outputs,
                                             images: images, workspace: workspace, into: y)
                    continue
                }
                if g.preservesSize {
                    shiftedConvolutionForward(x, g, weight: w, outputs: outputs, images: images, workspace: workspace,
                                              into: y)
                    continue
                }
                let width = images.count * pixels
                workspace.columns.grow(to: g.patchSize * width)
                workspace.columns.withUnsafeMutableBufferPointer { columns in
                    im2col(x, g, images: images, into: columns.baseAddress!)
                    // y[:, images] = W · columns
                    sgemm(.none, .none, m: outputs, n: width, k: g.patchSize, a: w, lda: g.patchSize,
                          b: columns.baseAddress!, ldb: width, beta: 0,
                          c: y + images.lowerBound * pixels, ldc: g.outputPixels)
                }
            }
        }
    }
}

/// Adds `∂L/∂W` to `weightGradient` (or, with `existing` 0, stores it over
/// whatever is there) and writes `∂L/∂x` into `inputGradient` (an empty
/// array for a network's first layer, which needs none), given the `input`
/// of the forward pass and `∂L/∂y`. Each image's gradient is written once,
/// by col2im or by copying it out of the padded product, so
/// `inputGradient`'s old values are never read. Each share pads (or
/// unfolds) its images again rather than keeping them from the forward pass.
public func convolutionBackward(_ input: [Float], _ g: ConvGeometry, weight: [Float], outputs: Int,
                                outputGradient: [Float], weightGradient: inout [Float], existing: Float = 1,
                                inputGradient: inout [Float], workspaces: [ConvolutionWorkspace]) {
    precondition(outputGradient.count == outputs * g.outputPixels && weightGradient.count == outputs * g.patchSize)
    precondition(inputGradient.isEmpty || inputGradient.count == input.count)
    let tiling = DirectTiling(g, outputs: outputs, inputGradient: !inputGradient.isEmpty)
    if !inputGradient.isEmpty, let tiling, tiling.tilesInputGradient {
        weight.withUnsafeBufferPointer { w in
            tiling.arrangeWeight(w.baseAddress!, outputs: outputs, inputs: g.channels, kernel: g.kernel, mirrored: true,
                                 into: &workspaces[0].inputGradientWeight)
        }
    } else if !inputGradient.isEmpty && g.preservesSize {
        weightByInputChannel(weight, outputs: outputs, inputs: g.channels, taps: g.kernel * g.kernel,
                             into: &workspaces[0].inputGradientWeight)
    }
    let inputGradientWeight = workspaces[0].inputGradientWeight
    inputGradient.withUnsafeMutableBufferPointer { dx in
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                outputGradient.withUnsafeBufferPointer { dy in
                    inputGradientWeight.withUnsafeBufferPointer { inputGradientWeight in
                        let work = BackwardShares(x: x.baseAddress!, g: g, w: w.baseAddress!, tiling: tiling,
                                                  inputGradientWeight: inputGradientWeight.baseAddress,
                                                  outputs: outputs, dy: dy.baseAddress!, workspaces: workspaces,
                                                  dx: dx.isEmpty ? nil : dx.baseAddress)
                        WorkerPool.shared.forEachChunk(of: workspaces.count, work)
                    }
                }
            }
        }
    }
    // The shares' parts of ∂L/∂W, added in share order (the first copied
    // over a zeroed gradient).
    var copy = existing == 0
    weightGradient.withUnsafeMutableBufferPointer { dw in
        for (share, workspace) in workspaces.enumerated()
        where !shareImages(g, share: share, of: workspaces.count).isEmpty {
            workspace.weightGradient.withUnsafeBufferPointer { part in
                if copy {
                    dw.baseAddress!.update(from: part.baseAddress!, count: dw.count)
                } else {
                    applyVectors(Sum.self, dw.baseAddress!, part.baseAddress!, into: dw.baseAddress!, count: dw.count)
                }
            }
            copy = false
        }
    }
}

/// `convolutionBackward`'s work on a range of shares, each in its own
/// workspace: the share's part of `∂L/∂W` into the workspace, and its
/// images' `∂L/∂x` into `dx` when there is one.
private struct BackwardShares: ChunkedWork {
    let x: UnsafePointer<Float>, g: ConvGeometry, w: UnsafePointer<Float>, tiling: DirectTiling?
    /// `ConvolutionWorkspace.inputGradientWeight`, for the input gradient.
    let inputGradientWeight: UnsafePointer<Float>?, outputs: Int, dy: UnsafePointer<Float>
    let workspaces: [ConvolutionWorkspace], dx: UnsafeMutablePointer<Float>?

    func run(_ shares: Range<Int>) {
        let pixels = g.outputHeight * g.outputWidth
        for share in shares {
            let workspace = workspaces[share]
            workspace.weightGradient.grow(to: outputs * g.patchSize)
            let groups = imageGroups(g, share: share, of: workspaces.count, outputs: outputs)
            if let tiling {
                guard !shareImages(g, share: share, of: workspaces.count).isEmpty else { continue }
                for (index, images) in groups.enumerated() {
                    directConvolutionBackward(x, g, tiling: tiling, mirroredWeight: inputGradientWeight,
                                              outputs: outputs, outputGradient: dy, images: images, workspace: workspace,
                                              overwrite: index == 0, inputGradient: tiling.tilesInputGradient ? dx : nil)
                    if !tiling.tilesInputGradient, let dx { foldInputGradient(images, workspace: workspace, into: dx) }
                }
                workspace.weightGradient.withUnsafeMutableBufferPointer { dw in
                    if tiling.winograd {
                        workspace.summedGradient.withUnsafeBufferPointer { du in
                            winogradFilterGradients(du.baseAddress!, inputs: g.channels, outputs: outputs,
                                                    into: dw.baseAddress!)
                        }
                    } else {
                        workspace.summedGradient.withUnsafeBufferPointer { byTap in
                            arrangeByOutput(byTap.baseAddress!, outputs: outputs, inputs: g.channels,
                                            taps: g.kernel * g.kernel, into: dw.baseAddress!)
                        }
                    }
                }
                continue
            }
            for (index, images) in groups.enumerated() {
                if g.preservesSize {
                    workspace.weightGradient.withUnsafeMutableBufferPointer { dw in
                        shiftedConvolutionBackward(x, g, weightByInput: inputGradientWeight!, outputs: outputs,
                                                   outputGradient: dy, images: images, workspace: workspace,
                                                   weightGradient: dw.baseAddress!, beta: index == 0 ? 0 : 1,
                                                   inputGradient: dx)
                    }
                    continue
                }
                let width = images.count * pixels
                let first = dy + images.lowerBound * pixels
                workspace.columns.grow(to: g.patchSize * width)
                workspace.columns.withUnsafeMutableBufferPointer { columns in
                    im2col(x, g, images: images, into: columns.baseAddress!)
                    // dW(share) (+)= dy[:, images] · columnsᵀ
                    workspace.weightGradient.withUnsafeMutableBufferPointer { dw in
                        sgemm(.none, .transposed, m: outputs, n: g.patchSize, k: width, a: first,
                              lda: g.outputPixels, b: columns.baseAddress!, ldb: width, beta: index == 0 ? 0 : 1,
                              c: dw.baseAddress!, ldc: g.patchSize)
                    }
                }
                if let dx { foldInputGradient(images, workspace: workspace, into: dx) }
            }
        }
    }

    /// `∂L/∂x` of `images` through im2col's products: `dcolumns = Wᵀ ·
    /// dy[:, images]`, folded back onto the input by col2im.
    private func foldInputGradient(_ images: Range<Int>, workspace: ConvolutionWorkspace,
                                   into dx: UnsafeMutablePointer<Float>) {
        let width = images.count * g.outputHeight * g.outputWidth
        workspace.columnGradient.grow(to: g.patchSize * width)
        workspace.columnGradient.withUnsafeMutableBufferPointer { dcolumns in
            sgemm(.transposed, .none, m: g.patchSize, n: width, k: outputs, a: w,
                  lda: g.patchSize, b: dy + images.lowerBound * g.outputHeight * g.outputWidth, ldb: g.outputPixels,
                  beta: 0, c: dcolumns.baseAddress!, ldc: width)
            col2im(dcolumns.baseAddress!, g, images: images, into: dx)
        }
    }
}

extension Array where Element == Float {
    /// Makes the array hold at least `count` elements, reallocating only to grow.
    mutating func grow(to count: Int) {
        if self.count < count { self = [Float](repeating: 0, count: count) }
    }
}
