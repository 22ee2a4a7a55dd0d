import Synchronization

/// Size-preserving convolutions computed directly, one register tile at a
/// time, with no matrix product and no arithmetic on padding positions.
///
/// The input is padded into planes as for the shifted products
/// (`PaddedLayout`). An output tile is a few adjacent pixels of one image
/// row by 16 or 32 output channels: its sums live in registers, a vector of
/// 16 channels per pixel. For every tap and input channel the tile loads
/// one or two vectors of weights and multiplies them by each pixel's input
/// value, broadcast: every multiply-add is one the convolution needs. The
/// weight gradient is tiled the same way, a few input channels by 16 or 32
/// output channels, summed over every pixel of the group, and the input
/// gradient is the forward tile run on `∂L/∂y`'s planes with the weight
/// mirrored. The output tiles store their vectors by pixel into a scratch
/// array, transposed into the channel-major batch afterwards. `reslab
/// bench --gemm` times the tiles at 94–97 % of the arithmetic peak on one
/// thread, where the shifted products reached 70–75 % counting useful work.
///
/// The tiles need output channels (input channels, for the input
/// gradient) in whole vectors of 16 and output rows in tiles of 7 or 8
/// pixels; other size-preserving convolutions take the shifted products.
/// A convolution of stride 2 whose taps are centred on its pixels (padding
/// (k − 1)/2, as between `conv-fashion`'s stages) runs the same forward and
/// weight-gradient tiles, reading every other pixel of the padded planes;
/// its input gradient takes im2col's products and col2im. A 3×3 kernel with
/// whole vectors of 16 channels in and out has Winograd's tiles instead, for
/// the weight gradient too (WinogradConvolution.swift,
/// WinogradWeightGradient.swift), which read the input by pixel rather
/// than padded.

/// Floats in one vector of channels.
let channelVector = 16

/// How the direct kernels tile a convolution, if they can. The tiles'
/// sums are `InlineArray`s, which Apple's systems have from macOS 26; on
/// older ones every convolution takes the shifted products or im2col's.
struct DirectTiling {
    /// Pixels of an output row in one output tile.
    let rowTile: Int
    /// Input pixels from one output pixel's taps to the next's: 1 or 2.
    let stride: Int
    /// Whether the tiles are Winograd's (WinogradConvolution.swift and
    /// WinogradWeightGradient.swift), forward and backward: for 3×3 kernels
    /// with whole vectors of 16 channels in and out (`winogradFits`).
    let winograd: Bool

    /// The tiling of `g` with `outputs` output channels, or nil when the
    /// tiles do not fit it; with `inputGradient`, the input gradient's
    /// tiles (over `g.channels`) must fit too, unless the stride is 2
    /// (its input gradient takes im2col's products).
    init?(_ g: ConvGeometry, outputs: Int, inputGradient: Bool) {
        guard g.centresTaps, g.stride == 1 || g.stride == 2, outputs % channelVector == 0,
              !inputGradient || g.stride == 2 || g.channels % channelVector == 0 else { return nil }
        guard #available(macOS 26, *) else { return nil }
        if g.outputWidth % 7 == 0 { rowTile = 7 } else if g.outputWidth % 8 == 0 { rowTile = 8 } else { return nil }
        stride = g.stride
        winograd = winogradFits(g, outputs: outputs)
    }

    /// Whether the input gradient is tiled too (stride 1), rather than
    /// computed by im2col's products.
    var tilesInputGradient: Bool { stride == 1 }

    /// The weight `[outputs, inputs, k²]` (PyTorch's order) as `outputTiles`
    /// reads it: Winograd's transformed filters, or arranged by tap; with
    /// `mirrored`, for the input gradient's tiles.
    func arrangeWeight(_ weight: UnsafePointer<Float>, outputs: Int, inputs: Int, kernel: Int, mirrored: Bool,
                       into result: inout [Float]) {
        if winograd {
            winogradWeight(weight, outputs: outputs, inputs: inputs, mirrored: mirrored, into: &result)
        } else {
            result.grow(to: outputs * inputs * kernel * kernel)
            result.withUnsafeMutableBufferPointer {
                arrangeByTap(weight, outputs: outputs, inputs: inputs, taps: kernel * kernel, mirrored: mirrored,
                             into: $0.baseAddress!)
            }
        }
    }

    /// Writes the convolution of the padded planes (`inputs` of them, laid
    /// out as `layout`) with `weight` (as `arrangeWeight` arranged it, not
    /// Winograd's) into `product` by pixel: the group's output pixels, image
    /// after image, `channels` floats each, so that each tile stores whole
    /// vectors (`copyProduct` then puts them in place).
    func outputTiles(planes: UnsafePointer<Float>, layout: PaddedLayout, inputs: Int, weight: UnsafePointer<Float>,
                     channels: Int, into product: UnsafeMutablePointer<Float>) {
        guard #available(macOS 26, *) else { preconditionFailure("no DirectTiling before macOS 26") }
        let g = layout.g
        let (height, width) = (g.outputHeight, g.outputWidth)
        let pixels = height * width
        productOperations.add(2 * layout.images * pixels * channels * inputs * g.kernel * g.kernel, ordering: .relaxed)
        // The top-left tap of pixel (0, 0) reads this far before the pixel.
        let corner = layout.offset(ofTap: 0)
        var first = 0
        while first < channels {
            let wide = channels - first >= 2 * channelVector
            // A block of 16 channels takes twice the pixels when the rows
            // allow, so that its tile still holds 14 or 16 sums.
            let pixelsPerTile = !wide && width % (2 * rowTile) == 0 ? 2 * rowTile : rowTile
            for image in 0..<layout.images {
                for row in 0..<height {
                    for column in Swift.stride(from: 0, to: width, by: pixelsPerTile) {
                        let input = layout.position(image: image, y: stride * row, x: stride * column)
                        let tile = (planes + input + corner, stride, layout.planeStride, layout.rowStride, g.kernel,
                                    inputs, weight + first, channels,
                                    product + (image * pixels + row * width + column) * channels + first)
                        switch (pixelsPerTile, wide) {
                        case (7, true): OutputTile<7, 2>.run(tile)
                        case (8, true): OutputTile<8, 2>.run(tile)
                        case (14, _): OutputTile<14, 1>.run(tile)
                        case (16, _): OutputTile<16, 1>.run(tile)
                        case (7, _): OutputTile<7, 1>.run(tile)
                        default: OutputTile<8, 1>.run(tile)
                        }
                    }
                }
            }
            first += wide ? 2 * channelVector : channelVector
        }
    }

    /// `∂L/∂W` arranged by tap (`[k², inputs, outputs]`) for one group of
    /// images, stored (`overwrite`) or added: for every tap, the padded
    /// input planes shifted by it (every other pixel, at stride 2) times
    /// `∂L/∂y` by pixel (`[pixels, outputs]`, see `transposeToPixels`),
    /// summed over the group's output pixels.
    func weightGradientTiles(planes: UnsafePointer<Float>, layout: PaddedLayout, inputs: Int,
                             gradientByPixel: UnsafePointer<Float>, outputs: Int, overwrite: Bool,
                             into tapGradient: UnsafeMutablePointer<Float>) {
        guard #available(macOS 26, *) else { preconditionFailure("no DirectTiling before macOS 26") }
        let g = layout.g
        productOperations.add(2 * layout.images * g.outputHeight * g.outputWidth * outputs * inputs * g.kernel * g.kernel,
                              ordering: .relaxed)
        // 8 input channels by 32 outputs (16 sums) or by 16 (8: a tile of 16
        // by 16 was not kept in registers); one at a time for a first
        // layer's few image channels.
        let inputTile = inputs % 8 == 0 ? 8 : 1
        for tap in 0..<g.kernel * g.kernel {
            let shifted = planes + layout.offset(ofTap: tap)
            var first = 0
            while first < outputs {
                let wide = outputs - first >= 2 * channelVector
                for input in Swift.stride(from: 0, to: inputs, by: inputTile) {
                    let tile = (shifted + input * layout.planeStride, layout, gradientByPixel + first, outputs,
                                overwrite, tapGradient + (tap * inputs + input) * outputs + first)
                    switch (inputTile, wide) {
                    case (8, true): WeightGradientTile<8, 2>.run(tile)
                    case (8, _): WeightGradientTile<8, 1>.run(tile)
                    case (_, true): WeightGradientTile<1, 2>.run(tile)
                    default: WeightGradientTile<1, 1>.run(tile)
                    }
                }
                first += wide ? 2 * channelVector : channelVector
            }
        }
    }
}

/// `Pixels` adjacent output pixels of one image row by `Vectors`·16
/// output channels, their sums in registers.
@available(macOS 26, *)
struct OutputTile<let Pixels: Int, let Vectors: Int> {
    /// `x` is the top-left tap of the first pixel in the first input plane
    /// (the next pixel's `pixelStride` floats on, the next plane's
    /// `planeStride`); `weights` is the tile's first output channel in the
    /// weight arranged by tap (rows of `outputs` floats, one per tap and
    /// input channel). The sums are stored into `product`, a pixel's
    /// `outputs` floats after another's.
    @inline(__always)
    static func run(_ tile: (x: UnsafePointer<Float>, pixelStride: Int, planeStride: Int, rowStride: Int, kernel: Int,
                             inputs: Int, weights: UnsafePointer<Float>, outputs: Int,
                             product: UnsafeMutablePointer<Float>)) {
        var sums = InlineArray<Pixels, InlineArray<Vectors, SIMD16<Float>>>(repeating: .init(repeating: .zero))
        for tap in 0..<tile.kernel * tile.kernel {
            var input = tile.x + tap / tile.kernel * tile.rowStride + tap % tile.kernel
            var weight = UnsafeRawPointer(tile.weights + tap * tile.inputs * tile.outputs)
            for _ in 0..<tile.inputs {
                var vectors = InlineArray<Vectors, SIMD16<Float>>(repeating: .zero)
                for v in 0..<Vectors { vectors[v] = weight.loadUnaligned(fromByteOffset: 64 * v, as: SIMD16<Float>.self) }
                for p in 0..<Pixels {
                    // `&*`: with an overflow check here, the 14- and 16-pixel
                    // tiles kept their sums in memory whenever the stride was
                    // not 1 (Winograd's): `conv-28x28x16` ran 0.85× as fast.
                    let value = SIMD16<Float>(repeating: input[p &* tile.pixelStride])
                    for v in 0..<Vectors { sums[p][v].addProduct(value, vectors[v]) }
                }
                input += tile.planeStride
                weight += tile.outputs * MemoryLayout<Float>.stride
            }
        }
        for p in 0..<Pixels {
            for v in 0..<Vectors {
                UnsafeMutableRawPointer(tile.product + p * tile.outputs + v * channelVector)
                    .storeBytes(of: sums[p][v], as: SIMD16<Float>.self)
            }
        }
    }
}

/// `Inputs` input channels by `Vectors`·16 output channels of a weight
/// gradient, summed in registers: over every pixel of a group for one tap
/// (`run`), or over a chunk's patches for one of Winograd's positions.
@available(macOS 26, *)
struct WeightGradientTile<let Inputs: Int, let Vectors: Int> {
    var sums = InlineArray<Inputs, InlineArray<Vectors, SIMD16<Float>>>(repeating: .init(repeating: .zero))

    /// Adds `count` pixels: the tile's first input channel of the first at
    /// `x` (the next channel `inputStride` floats on, the next pixel
    /// `pixelStride`), times `∂L/∂y` from `gradient` (`outputs` floats a
    /// pixel), which is left at the pixel after the last.
    @inline(__always)
    mutating func add(_ x: UnsafePointer<Float>, inputStride: Int, pixelStride: Int, count: Int,
                      gradient: inout UnsafeRawPointer, outputs: Int) {
        var input = x
        for _ in 0..<count {
            var vectors = InlineArray<Vectors, SIMD16<Float>>(repeating: .zero)
            for v in 0..<Vectors { vectors[v] = gradient.loadUnaligned(fromByteOffset: 64 * v, as: SIMD16<Float>.self) }
            for i in 0..<Inputs {
                let value = SIMD16<Float>(repeating: input[i &* inputStride])
                for v in 0..<Vectors { sums[i][v].addProduct(value, vectors[v]) }
            }
            input += pixelStride
            gradient += outputs * MemoryLayout<Float>.stride
        }
    }

    /// Stores the sums into (or, without `overwrite`, adds them to) `dw`'s
    /// rows, `outputs` floats apart.
    @inline(__always)
    func store(into dw: UnsafeMutablePointer<Float>, outputs: Int, overwrite: Bool) {
        for i in 0..<Inputs {
            for v in 0..<Vectors {
                let out = UnsafeMutableRawPointer(dw + i * outputs + v * channelVector)
                let old = overwrite ? .zero : out.loadUnaligned(as: SIMD16<Float>.self)
                out.storeBytes(of: old + sums[i][v], as: SIMD16<Float>.self)
            }
        }
    }

    /// One tap over a group: `x` is the first input plane shifted by the
    /// tap; `gradients` is the tile's first output channel of `∂L/∂y` by
    /// pixel (rows of `outputs`).
    @inline(__always)
    static func run(_ tile: (x: UnsafePointer<Float>, layout: PaddedLayout, gradients: UnsafePointer<Float>, outputs: Int,
                             overwrite: Bool, dw: UnsafeMutablePointer<Float>)) {
        let g = tile.layout.g
        var sums = Self()
        var gradient = UnsafeRawPointer(tile.gradients)
        for image in 0..<tile.layout.images {
            for row in 0..<g.outputHeight {
                sums.add(tile.x + tile.layout.position(image: image, y: g.stride * row, x: 0),
                         inputStride: tile.layout.planeStride, pixelStride: g.stride, count: g.outputWidth,
                         gradient: &gradient, outputs: tile.outputs)
            }
        }
        sums.store(into: tile.dw, outputs: tile.outputs, overwrite: tile.overwrite)
    }

    /// One run of `count` pixels, as `add` reads them, stored into (or
    /// added to) `dw`.
    @inline(__always)
    static func run(pixels tile: (x: UnsafePointer<Float>, inputStride: Int, pixelStride: Int, count: Int,
                                  gradients: UnsafePointer<Float>, outputs: Int, overwrite: Bool,
                                  dw: UnsafeMutablePointer<Float>)) {
        var sums = Self()
        var gradient = UnsafeRawPointer(tile.gradients)
        sums.add(tile.x, inputStride: tile.inputStride, pixelStride: tile.pixelStride, count: tile.count,
                 gradient: &gradient, outputs: tile.outputs)
        sums.store(into: tile.dw, outputs: tile.outputs, overwrite: tile.overwrite)
    }
}

/// A weight `[outputs, inputs, k²]` (PyTorch's order) arranged by tap:
/// `[k², inputs, outputs]` for the forward tiles, or, `mirrored`, each tap
/// `t` taken from tap `k² − 1 − t` as `[k², outputs, inputs]` for the input
/// gradient's tiles, which read `∂L/∂y` the other way round.
func arrangeByTap(_ weight: UnsafePointer<Float>, outputs: Int, inputs: Int, taps: Int, mirrored: Bool,
                  into result: UnsafeMutablePointer<Float>) {
    for co in 0..<outputs {
        for ci in 0..<inputs {
            for t in 0..<taps {
                let value = weight[(co * inputs + ci) * taps + t]
                if mirrored {
                    result[((taps - 1 - t) * outputs + co) * inputs + ci] = value
                } else {
                    result[(t * inputs + ci) * outputs + co] = value
                }
            }
        }
    }
}

/// A gradient arranged by tap (`[k², inputs, outputs]`) back in PyTorch's
/// order, `[outputs, inputs, k²]`.
func arrangeByOutput(_ tapGradient: UnsafePointer<Float>, outputs: Int, inputs: Int, taps: Int,
                     into result: UnsafeMutablePointer<Float>) {
    for co in 0..<outputs {
        for ci in 0..<inputs {
            for t in 0..<taps { result[(co * inputs + ci) * taps + t] = tapGradient[(t * inputs + ci) * outputs + co] }
        }
    }
}

/// Copies `outputTiles`' product (the group's output pixels, `channels`
/// floats each) into images `images` of the CNHW batch `y`, where each
/// channel holds the group's pixels in one run.
func copyProduct(_ product: UnsafePointer<Float>, channels: Int, _ g: ConvGeometry, images: Range<Int>,
                 into y: UnsafeMutablePointer<Float>) {
    let pixelsPerImage = g.outputHeight * g.outputWidth
    transpose(StridedRows(start: product, stride: channels), count: images.count * pixelsPerImage, width: channels,
              into: y + images.lowerBound * pixelsPerImage, ldTo: g.batch * pixelsPerImage)
}

/// Images `images` of a CNHW batch of `batch` images (`channels` of them,
/// `pixelsPerImage` each: `g`'s input or `∂L/∂y`) by pixel: `[pixels,
/// channels]`.
func transposeToPixels(_ y: UnsafePointer<Float>, batch: Int, pixelsPerImage: Int, channels: Int, images: Range<Int>,
                       into byPixel: UnsafeMutablePointer<Float>) {
    transpose(StridedRows(start: y + images.lowerBound * pixelsPerImage, stride: batch * pixelsPerImage),
              count: channels, width: images.count * pixelsPerImage, into: byPixel, ldTo: channels)
}

/// `to[c·ldTo + r] = rows[r][c]` for `r < count`, `c < width`: whole 16×16
/// blocks transposed in registers, the edges one float at a time.
func transpose<Rows: RowAddresses>(_ rows: Rows, count: Int, width: Int, into to: UnsafeMutablePointer<Float>,
                                   ldTo: Int) {
    for column in stride(from: 0, to: width, by: 16) {
        for first in stride(from: 0, to: count, by: 16) {
            if first + 16 <= count && column + 16 <= width {
                transpose16x16(rows, first: first, column: column, to: to + column * ldTo + first, ldTo: ldTo)
                continue
            }
            for r in first..<min(first + 16, count) {
                for c in column..<min(column + 16, width) { to[c * ldTo + r] = rows[r][c] }
            }
        }
    }
}

/// `convolutionForward` for a size-preserving convolution the direct tiles
/// fit, one group of images: pad (or, for Winograd's tiles, arrange by
/// pixel), tile into the product by pixel, and copy that into `y`; `weight`
/// as `DirectTiling.arrangeWeight` arranged it.
func directConvolutionForward(_ x: UnsafePointer<Float>, _ g: ConvGeometry, tiling: DirectTiling,
                              weight: UnsafePointer<Float>, outputs: Int, images: Range<Int>,
                              workspace: ConvolutionWorkspace, into y: UnsafeMutablePointer<Float>) {
    workspace.product.grow(to: outputs * images.count * g.outputHeight * g.outputWidth)
    workspace.product.withUnsafeMutableBufferPointer { product in
        if tiling.winograd {
            workspace.paddedInput.grow(to: images.count * g.height * g.width * g.channels)
            workspace.paddedInput.withUnsafeMutableBufferPointer { byPixel in
                transposeToPixels(x, batch: g.batch, pixelsPerImage: g.height * g.width, channels: g.channels,
                                  images: images, into: byPixel.baseAddress!)
                winogradOutputTiles(byPixel: byPixel.baseAddress!, g, images: images.count, inputs: g.channels,
                                    u: weight, channels: outputs, workspace: workspace, into: product.baseAddress!)
            }
        } else {
            let layout = PaddedLayout(g, images: images.count)
            workspace.paddedInput.grow(to: g.channels * layout.planeStride)
            workspace.paddedInput.withUnsafeMutableBufferPointer { padded in
                layout.pad(x, channels: g.channels, images: images, into: padded.baseAddress!)
                tiling.outputTiles(planes: padded.baseAddress!, layout: layout, inputs: g.channels, weight: weight,
                                   channels: outputs, into: product.baseAddress!)
            }
        }
        copyProduct(product.baseAddress!, channels: outputs, g, images: images, into: y)
    }
}

/// `convolutionBackward` for a convolution the direct tiles fit, one group
/// of images: `∂L/∂W` stored (`overwrite`) or added, into
/// `workspace.summedGradient` (by tap, or for Winograd's tiles as
/// `∂L/∂U`); `∂L/∂x`, if `dx` is given (stride 1 only), from the mirrored
/// weight (`DirectTiling.arrangeWeight(mirrored: true)`) and `∂L/∂y`'s
/// planes (by pixel, for Winograd's tiles).
func directConvolutionBackward(_ x: UnsafePointer<Float>, _ g: ConvGeometry, tiling: DirectTiling,
                               mirroredWeight: UnsafePointer<Float>?, outputs: Int, outputGradient dy: UnsafePointer<Float>,
                               images: Range<Int>, workspace: ConvolutionWorkspace, overwrite: Bool,
                               inputGradient dx: UnsafeMutablePointer<Float>?) {
    let layout = PaddedLayout(g, images: images.count)
    let outputPixels = g.outputHeight * g.outputWidth
    workspace.paddedInput.grow(to: g.channels * layout.planeStride)
    workspace.gradientByPixel.grow(to: images.count * outputPixels * outputs)
    workspace.paddedInput.withUnsafeMutableBufferPointer { padded in
        workspace.gradientByPixel.withUnsafeMutableBufferPointer { byPixel in
            transposeToPixels(dy, batch: g.batch, pixelsPerImage: outputPixels, channels: outputs, images: images,
                              into: byPixel.baseAddress!)
            if tiling.winograd {
                transposeToPixels(x, batch: g.batch, pixelsPerImage: g.height * g.width, channels: g.channels,
                                  images: images, into: padded.baseAddress!)
                workspace.summedGradient.grow(to: winogradPositions * g.channels * outputs)
                workspace.summedGradient.withUnsafeMutableBufferPointer { du in
                    winogradTransformedGradient(inputByPixel: padded.baseAddress!, gradientByPixel: byPixel.baseAddress!,
                                                g, images: images.count, inputs: g.channels, outputs: outputs,
                                                overwrite: overwrite, workspace: workspace, into: du.baseAddress!)
                }
                return
            }
            layout.pad(x, channels: g.channels, images: images, into: padded.baseAddress!)
            workspace.summedGradient.grow(to: outputs * g.patchSize)
            workspace.summedGradient.withUnsafeMutableBufferPointer { tapGradient in
                tiling.weightGradientTiles(planes: padded.baseAddress!, layout: layout, inputs: g.channels,
                                           gradientByPixel: byPixel.baseAddress!, outputs: outputs,
                                           overwrite: overwrite, into: tapGradient.baseAddress!)
            }
        }
    }
    guard let dx, let mirroredWeight else { return }
    precondition(tiling.tilesInputGradient, "a strided convolution's input gradient is im2col's")
    workspace.product.grow(to: g.channels * images.count * g.height * g.width)
    workspace.product.withUnsafeMutableBufferPointer { product in
        if tiling.winograd {
            workspace.gradientByPixel.withUnsafeBufferPointer { byPixel in
                winogradOutputTiles(byPixel: byPixel.baseAddress!, g, images: images.count, inputs: outputs,
                                    u: mirroredWeight, channels: g.channels, workspace: workspace,
                                    into: product.baseAddress!)
            }
        } else {
            workspace.paddedGradient.grow(to: outputs * layout.planeStride)
            workspace.paddedGradient.withUnsafeMutableBufferPointer { padded in
                layout.pad(dy, channels: outputs, images: images, into: padded.baseAddress!)
                tiling.outputTiles(planes: padded.baseAddress!, layout: layout, inputs: outputs,
                                   weight: mirroredWeight, channels: g.channels, into: product.baseAddress!)
            }
        }
        copyProduct(product.baseAddress!, channels: g.channels, g, images: images, into: dx)
    }
}
