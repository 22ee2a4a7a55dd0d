/// Size-preserving convolutions (stride 1, padding (k−1)/2) as matrix
/// products read straight from shifted images, with no column matrix.
///
/// A few images are copied into a zero-padded plane per channel: each image
/// row is followed by `padding` zero columns, each image by `padding` zero
/// rows. In that plane, kernel tap `(ky, kx)` of every output pixel reads the
/// pixel at one fixed offset, `(ky − p)·rowStride + (kx − p)`, where the
/// padding makes every tap that falls off the image read a zero. So the
/// column matrix of im2col, row `(c, ky, kx)`, is the padded plane of
/// channel `c` shifted by that offset: `sgemm` reads it in place through a
/// table of row offsets. The product also yields values at the padding
/// positions between rows; they are left out when the result is copied back.
///
/// im2col writes nine floats per input pixel and col2im reads them back;
/// here each pixel is copied once, at the cost of the padding positions'
/// wasted arithmetic (7 % at 28×28, 15 % at 14×14, 31 % at 7×7).

/// Where a group of images sits in the padded planes.
struct PaddedLayout {
    let g: ConvGeometry
    let images: Int

    /// The layout of `images` images of `g`, whose taps must be centred
    /// (`ConvGeometry.centresTaps`): the shifted products and Winograd's
    /// tiles take only size-preserving ones, the direct tiles stride 2 too.
    init(_ g: ConvGeometry, images: Int) {
        precondition(g.centresTaps)
        (self.g, self.images) = (g, images)
    }

    var rowStride: Int { g.width + g.padding }
    /// An image's rows and the zero rows after it.
    var imageRows: Int { g.height + g.padding }
    /// One channel's plane: `padding` zero rows, then every image, then
    /// `padding` floats so that the first pixel's top-left tap is in bounds,
    /// rounded up to an odd number of 64-byte lines. Planes a multiple of
    /// 4 KB apart, or nearly, would fall into the same few L1 sets, where the
    /// direct tiles, reading one value of every plane in turn, evict their
    /// own rows (7×7 planes of 16 images are 1033 floats: 85 % of the peak,
    /// against 97 % one line further).
    var planeStride: Int {
        let lines = ((g.padding + images * imageRows) * rowStride + g.padding + channelVector - 1) / channelVector
        return (lines | 1) * channelVector
    }

    /// The position of pixel `(y, x)` of image `image` (counted in the group) in a plane.
    func position(image: Int, y: Int, x: Int) -> Int {
        g.padding + (g.padding + image * imageRows + y) * rowStride + x
    }

    /// The positions the product computes: from the first image's first
    /// pixel to the last image's last pixel.
    var first: Int { position(image: 0, y: 0, x: 0) }
    var span: Int { position(image: images - 1, y: g.height - 1, x: g.width - 1) - first + 1 }

    /// How far tap `tap` (`ky·k + kx`) reads from the output position.
    func offset(ofTap tap: Int) -> Int {
        (tap / g.kernel - g.padding) * rowStride + (tap % g.kernel - g.padding)
    }

    /// The offsets of the rows `(channel, tap)` of the implicit column
    /// matrix from `first`, for `channels` planes; `sign` −1 reads the taps
    /// mirrored, as the input gradient does.
    func tapOffsets(channels: Int, sign: Int = 1) -> [Int] {
        let taps = g.kernel * g.kernel
        return (0..<channels * taps).map { row in row / taps * planeStride + first + sign * offset(ofTap: row % taps) }
    }

    /// Copies `images` of the CNHW batch `x` (`channels` of them) into
    /// padded planes at `padded`, writing every float of the planes.
    func pad(_ x: UnsafePointer<Float>, channels: Int, images range: Range<Int>,
             into padded: UnsafeMutablePointer<Float>) {
        let (width, plane) = (g.width, g.height * g.width)
        for c in 0..<channels {
            let out = padded + c * planeStride
            var written = 0
            for (image, n) in range.enumerated() {
                for y in 0..<g.height {
                    let start = position(image: image, y: y, x: 0)
                    (out + written).update(repeating: 0, count: start - written)
                    (out + start).update(from: x + (c * g.batch + n) * plane + y * width, count: width)
                    written = start + width
                }
            }
            (out + written).update(repeating: 0, count: planeStride - written)
        }
    }

    /// Copies the image pixels of a product over the span (`channels`
    /// rows, `span` apart) into images `range` of the CNHW batch `y`.
    func unpad(_ product: UnsafePointer<Float>, channels: Int, images range: Range<Int>,
               into y: UnsafeMutablePointer<Float>) {
        let (width, plane) = (g.width, g.height * g.width)
        for c in 0..<channels {
            for (image, n) in range.enumerated() {
                let target = y + (c * g.batch + n) * plane
                for row in 0..<g.height {
                    (target + row * width).update(from: product + c * span + position(image: image, y: row, x: 0) - first,
                                                  count: width)
                }
            }
        }
    }
}

/// The three matrix products of a size-preserving convolution, over the
/// span of one group's padded planes. The padding positions are computed
/// too (`unpad` leaves them out), and `∂L/∂y`'s planes are zero there.
extension PaddedLayout {
    /// `product = W · shifted input planes`: the forward pass, `outputs`
    /// rows, one column per position of the span.
    func forwardProduct(weight: UnsafePointer<Float>, outputs: Int, input: UnsafePointer<Float>,
                        offsets: UnsafePointer<Int>, into product: UnsafeMutablePointer<Float>) {
        sgemm(.none, .none, m: outputs, n: span, k: g.patchSize, a: weight, lda: g.patchSize,
              b: input, ldb: 0, bRowOffsets: offsets, beta: 0, c: product, ldc: span)
    }

    /// `∂L/∂W ← beta · ∂L/∂W + ∂L/∂y · shifted input planesᵀ`, summed over
    /// the span.
    func weightGradientProduct(outputGradient: UnsafePointer<Float>, outputs: Int, input: UnsafePointer<Float>,
                               offsets: UnsafePointer<Int>, beta: Float, into weightGradient: UnsafeMutablePointer<Float>) {
        sgemm(.none, .transposed, m: outputs, n: g.patchSize, k: span, a: outputGradient + first, lda: planeStride,
              b: input, ldb: 0, bRowOffsets: offsets, beta: beta, c: weightGradient, ldc: g.patchSize)
    }

    /// `product = W (by input channel) · ∂L/∂y's planes shifted back by
    /// every tap`: the input gradient over the span.
    func inputGradientProduct(weightByInput: UnsafePointer<Float>, outputs: Int, outputGradient: UnsafePointer<Float>,
                              mirroredOffsets: UnsafePointer<Int>, into product: UnsafeMutablePointer<Float>) {
        let depth = outputs * g.kernel * g.kernel
        sgemm(.none, .none, m: g.channels, n: span, k: depth, a: weightByInput, lda: depth,
              b: outputGradient, ldb: 0, bRowOffsets: mirroredOffsets, beta: 0, c: product, ldc: span)
    }
}

/// What a table of tap offsets depends on: the image size, the kernel and
/// its padding, the images in the group, the planes and the direction.
struct TapOffsetsKey: Hashable {
    let height, width, kernel, padding, images, channels, sign: Int
}

extension ConvolutionWorkspace {
    /// `layout.tapOffsets(channels:sign:)`, made once per layout and kept:
    /// a network has a handful of layouts (its image sizes, and the group
    /// sizes of its training and evaluation batches), and each step would
    /// otherwise build the same tables again.
    func tapOffsets(_ layout: PaddedLayout, channels: Int, sign: Int = 1) -> [Int] {
        let g = layout.g
        let key = TapOffsetsKey(height: g.height, width: g.width, kernel: g.kernel, padding: g.padding,
                                images: layout.images, channels: channels, sign: sign)
        if let offsets = tapOffsetTables[key] { return offsets }
        let offsets = layout.tapOffsets(channels: channels, sign: sign)
        tapOffsetTables[key] = offsets
        return offsets
    }
}

/// `convolutionForward` for a size-preserving convolution, one group of
/// images at a time: pad, multiply by the shifted planes, copy back.
func shiftedConvolutionForward(_ x: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>, outputs: Int,
                               images: Range<Int>, workspace: ConvolutionWorkspace, into y: UnsafeMutablePointer<Float>) {
    let layout = PaddedLayout(g, images: images.count)
    workspace.paddedInput.grow(to: g.channels * layout.planeStride)
    workspace.product.grow(to: outputs * layout.span)
    let offsets = workspace.tapOffsets(layout, channels: g.channels)
    workspace.paddedInput.withUnsafeMutableBufferPointer { padded in
        workspace.product.withUnsafeMutableBufferPointer { product in
            layout.pad(x, channels: g.channels, images: images, into: padded.baseAddress!)
            offsets.withUnsafeBufferPointer { rows in
                layout.forwardProduct(weight: weight, outputs: outputs, input: padded.baseAddress!,
                                      offsets: rows.baseAddress!, into: product.baseAddress!)
            }
            layout.unpad(product.baseAddress!, channels: outputs, images: images, into: y)
        }
    }
}

/// `convolutionBackward` for a size-preserving convolution, one group of
/// images: `∂L/∂W` (stored with `beta` 0 or added with 1) from the padded
/// `∂L/∂y` and the shifted input planes; `∂L/∂x`, if `dx` is given, from
/// the weight by input channel (`[Cin, Cout·k·k]`, see
/// `weightByInputChannel`) and `∂L/∂y`'s planes shifted the other way.
func shiftedConvolutionBackward(_ x: UnsafePointer<Float>, _ g: ConvGeometry, weightByInput: UnsafePointer<Float>,
                                outputs: Int, outputGradient dy: UnsafePointer<Float>, images: Range<Int>,
                                workspace: ConvolutionWorkspace, weightGradient dw: UnsafeMutablePointer<Float>, beta: Float,
                                inputGradient dx: UnsafeMutablePointer<Float>?) {
    // ∂L/∂y has the input's size, so its planes are laid out alike.
    let layout = PaddedLayout(g, images: images.count)
    workspace.paddedInput.grow(to: g.channels * layout.planeStride)
    workspace.paddedGradient.grow(to: outputs * layout.planeStride)
    workspace.paddedInput.withUnsafeMutableBufferPointer { paddedInput in
        workspace.paddedGradient.withUnsafeMutableBufferPointer { paddedGradient in
            layout.pad(x, channels: g.channels, images: images, into: paddedInput.baseAddress!)
            layout.pad(dy, channels: outputs, images: images, into: paddedGradient.baseAddress!)
            workspace.tapOffsets(layout, channels: g.channels).withUnsafeBufferPointer { rows in
                layout.weightGradientProduct(outputGradient: paddedGradient.baseAddress!, outputs: outputs,
                                             input: paddedInput.baseAddress!, offsets: rows.baseAddress!,
                                             beta: beta, into: dw)
            }
            guard let dx else { return }
            workspace.product.grow(to: g.channels * layout.span)
            workspace.product.withUnsafeMutableBufferPointer { product in
                workspace.tapOffsets(layout, channels: outputs, sign: -1).withUnsafeBufferPointer { rows in
                    layout.inputGradientProduct(weightByInput: weightByInput, outputs: outputs,
                                                outputGradient: paddedGradient.baseAddress!,
                                                mirroredOffsets: rows.baseAddress!, into: product.baseAddress!)
                }
                layout.unpad(product.baseAddress!, channels: g.channels, images: images, into: dx)
            }
        }
    }
}

/// `W[Cout, Cin·k·k]` rearranged as `[Cin, Cout·k·k]` at the start of
/// `result` (grown if it is too small), the A of the input gradient's
/// product: entry `(ci, co·k² + t)` is `W[co, ci·k² + t]`.
func weightByInputChannel(_ weight: [Float], outputs: Int, inputs: Int, taps: Int, into result: inout [Float]) {
    result.grow(to: outputs * inputs * taps)
    for co in 0..<outputs {
        for ci in 0..<inputs {
            for t in 0..<taps { result[(ci * outputs + co) * taps + t] = weight[(co * inputs + ci) * taps + t] }
        }
    }
}
