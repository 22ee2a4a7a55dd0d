/// im2col and col2im: a convolution lowered to matrix products.

/// The geometry of a 2-D convolution over activations laid out channel-major,
/// `[channels, batch, height, width]` (CNHW), so that a whole batch is one GEMM.
public struct ConvGeometry: Sendable, Equatable {
    public let channels, batch, height, width: Int
    public let kernel, stride, padding: Int

    public init(channels: Int, batch: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        (self.channels, self.batch, self.height, self.width) = (channels, batch, height, width)
        (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
    }

    public var outputHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outputWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    /// The output columns whose input column `ox·stride − padding + kx` lies
    /// inside the image, for kernel column `kx`.
    func validColumns(_ kx: Int) -> Range<Int> {
        let shift = padding - kx
        let lower = shift > 0 ? (shift + stride - 1) / stride : 0
        let upper = min(outputWidth, (width - 1 + shift) / stride + 1)
        return lower..<max(lower, upper)
    }

    /// Whether the output has the input's size (stride 1, padding (k−1)/2):
    /// then each row of the column matrix is the image shifted as a whole.
    var preservesSize: Bool { stride == 1 && outputHeight == height && outputWidth == width }

    /// Whether the kernel is odd and padded by half its size, (k − 1)/2, so
    /// that its taps are centred on the pixel at the output's position: at
    /// stride 1 the image keeps its size, and at any stride a padded plane
    /// (`PaddedLayout`) serves every tap.
    var centresTaps: Bool { kernel == 2 * padding + 1 }

    /// Rows of the column matrix: one per (channel, ky, kx), PyTorch's weight order.
    public var patchSize: Int { channels * kernel * kernel }
    /// Columns of the column matrix: one per output pixel of every image.
    public var outputPixels: Int { batch * outputHeight * outputWidth }
}

/// Unfolds images `images` of `input` (CNHW) into `columns`, a
/// `[patchSize, images.count · Ho · Wo]` matrix whose column j holds the
/// receptive field of output pixel j. Working on a few images at a time keeps
/// the column matrix in cache.
public func im2col(_ input: [Float], _ g: ConvGeometry, images: Range<Int>, into columns: inout [Float]) {
    precondition(input.count == g.channels * g.batch * g.height * g.width && images.upperBound <= g.batch)
    let width = images.count * g.outputHeight * g.outputWidth
    if columns.count != g.patchSize * width { columns = [Float](repeating: 0, count: g.patchSize * width) }
    input.withUnsafeBufferPointer { x in
        columns.withUnsafeMutableBufferPointer { col in im2col(x.baseAddress!, g, images: images, into: col.baseAddress!) }
    }
}

/// `im2col` on raw storage: `x` holds the whole batch, `col` has room
/// for `patchSize × images.count·Ho·Wo` floats.
func im2col(_ x: UnsafePointer<Float>, _ g: ConvGeometry, images: Range<Int>, into col: UnsafeMutablePointer<Float>) {
    WorkerPool.shared.forEachChunk(of: g.patchSize, Unfolding(x: x, g: g, images: images, col: col))
}

/// `im2col`'s work on a range of the column matrix's rows.
private struct Unfolding: ChunkedWork {
    let x: UnsafePointer<Float>, g: ConvGeometry, images: Range<Int>, col: UnsafeMutablePointer<Float>

    func run(_ rows: Range<Int>) {
        let (oh, ow, plane) = (g.outputHeight, g.outputWidth, g.height * g.width)
        let width = images.count * oh * ow
        for row in rows {
            let c = row / (g.kernel * g.kernel)
            let ky = (row / g.kernel) % g.kernel, kx = row % g.kernel
            let valid = g.validColumns(kx)
            var out = col + row * width
            for n in images {
                let image = x + (c * g.batch + n) * plane
                for oy in 0..<oh {
                    let iy = oy * g.stride - g.padding + ky
                    if iy < 0 || iy >= g.height {
                        out.update(repeating: 0, count: ow)
                    } else {
                        let line = image + iy * g.width - g.padding + kx
                        for ox in 0..<valid.lowerBound { out[ox] = 0 }
                        if g.stride == 1 {
                            (out + valid.lowerBound).update(from: line + valid.lowerBound, count: valid.count)
                        } else {
                            for ox in valid { out[ox] = line[ox * g.stride] }
                        }
                        for ox in valid.upperBound..<ow { out[ox] = 0 }
                    }
                    out += ow
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds every entry of `columns` (for `images`)
/// back to the input pixel it was read from. Those images of `gradient`
/// (CNHW, allocated to the full batch if needed) are overwritten; the others
/// are left alone.
public func col2im(_ columns: [Float], _ g: ConvGeometry, images: Range<Int>, into gradient: inout [Float]) {
    let (oh, ow, plane) = (g.outputHeight, g.outputWidth, g.height * g.width)
    let width = images.count * oh * ow
    precondition(columns.count == g.patchSize * width && images.upperBound <= g.batch)
    let size = g.channels * g.batch * plane
    if gradient.count != size { gradient = [Float](repeating: 0, count: size) }
    columns.withUnsafeBufferPointer { col in
        gradient.withUnsafeMutableBufferPointer { dx in col2im(col.baseAddress!, g, images: images, into: dx.baseAddress!) }
    }
}

/// `col2im` on raw storage: `dx` holds the whole batch's gradient.
func col2im(_ col: UnsafePointer<Float>, _ g: ConvGeometry, images: Range<Int>, into dx: UnsafeMutablePointer<Float>) {
    // Each thread owns whole channels, so no two threads add to one pixel.
    WorkerPool.shared.forEachChunk(of: g.channels, Folding(col: col, g: g, images: images, dx: dx))
}

/// `col2im`'s work on a range of the input's channels.
private struct Folding: ChunkedWork {
    let col: UnsafePointer<Float>, g: ConvGeometry, images: Range<Int>, dx: UnsafeMutablePointer<Float>

    func run(_ channels: Range<Int>) {
        let (oh, ow, plane, taps) = (g.outputHeight, g.outputWidth, g.height * g.width, g.kernel * g.kernel)
        let width = images.count * oh * ow
        for c in channels {
            let first = dx + (c * g.batch + images.lowerBound) * plane
            first.update(repeating: 0, count: images.count * plane)
            for tap in 0..<taps {
                let ky = tap / g.kernel, kx = tap % g.kernel
                let valid = g.validColumns(kx)
                var source = col + (c * taps + tap) * width
                for n in images {
                    let image = dx + (c * g.batch + n) * plane
                    for oy in 0..<oh {
                        let iy = oy * g.stride - g.padding + ky
                        if iy >= 0 && iy < g.height {
                            let line = image + iy * g.width - g.padding + kx
                            if g.stride == 1 {
                                addRun(line + valid.lowerBound, source + valid.lowerBound, count: valid.count)
                            } else {
                                for ox in valid { line[ox * g.stride] += source[ox] }
                            }
                        }
                        source += ow
                    }
                }
            }
        }
    }
}

/// `target[0..<count] += source[0..<count]`, sixteen, eight, four, then
/// one float at a time: the runs here are often one image row long.
@inline(__always)
private func addRun(_ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>, count: Int) {
    var i = 0
    while i + 16 <= count {
        addVector(SIMD16<Float>.self, target + i, source + i)
        i += 16
    }
    if i + 8 <= count {
        addVector(SIMD8<Float>.self, target + i, source + i)
        i += 8
    }
    if i + 4 <= count {
        addVector(SIMD4<Float>.self, target + i, source + i)
        i += 4
    }
    while i < count {
        target[i] += source[i]
        i += 1
    }
}

@inline(__always)
private func addVector<V: SIMD>(_: V.Type, _ target: UnsafeMutablePointer<Float>, _ source: UnsafePointer<Float>)
where V.Scalar == Float {
    let sum = UnsafeRawPointer(target).loadUnaligned(as: V.self) + UnsafeRawPointer(source).loadUnaligned(as: V.self)
    UnsafeMutableRawPointer(target).storeBytes(of: sum, as: V.self)
}
