/// Array-level entry points to the kernels, so that layers never touch
/// pointers. Each one borrows the arrays' storage for the duration of the call.

/// `c = alpha · op(a) · op(b) + beta · c` on row-major arrays; see `sgemm`.
public func gemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int, alpha: Float = 1,
    _ a: [Float], lda: Int, _ b: [Float], ldb: Int,
    beta: Float = 0, _ c: inout [Float], ldc: Int
) {
    precondition(a.count >= (transA == .none ? m * lda : k * lda) - (lda - (transA == .none ? k : m)), "A too small")
    precondition(b.count >= (transB == .none ? k * ldb : n * ldb) - (ldb - (transB == .none ? n : k)), "B too small")
    precondition(c.count >= m * ldc - (ldc - n), "C too small")
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            c.withUnsafeMutableBufferPointer { c in
                sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha,
                      a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                      beta: beta, c: c.baseAddress!, ldc: ldc)
            }
        }
    }
}

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
    /// Rows of the column matrix: one per (channel, ky, kx), PyTorch's weight order.
    public var patchSize: Int { channels * kernel * kernel }
    /// Columns of the column matrix: one per output pixel of every image.
    public var outputPixels: Int { batch * outputHeight * outputWidth }
}

/// Unfolds `input` (CNHW) into `columns`, a `[patchSize, outputPixels]`
/// matrix whose column j holds the receptive field of output pixel j.
public func im2col(_ input: [Float], _ g: ConvGeometry, into columns: inout [Float]) {
    precondition(input.count == g.channels * g.batch * g.height * g.width)
    if columns.count != g.patchSize * g.outputPixels {
        columns = [Float](repeating: 0, count: g.patchSize * g.outputPixels)
    }
    input.withUnsafeBufferPointer { x in
        columns.withUnsafeMutableBufferPointer { col in
            let (oh, ow, plane) = (g.outputHeight, g.outputWidth, g.height * g.width)
            WorkerPool.shared.forEachChunk(of: g.patchSize) { rows in
                for row in rows {
                    let c = row / (g.kernel * g.kernel)
                    let ky = (row / g.kernel) % g.kernel, kx = row % g.kernel
                    var out = col.baseAddress! + row * g.outputPixels
                    for n in 0..<g.batch {
                        let image = x.baseAddress! + (c * g.batch + n) * plane
                        for oy in 0..<oh {
                            let iy = oy * g.stride - g.padding + ky
                            if iy < 0 || iy >= g.height {
                                out.update(repeating: 0, count: ow)
                            } else {
                                let line = image + iy * g.width
                                for ox in 0..<ow {
                                    let ix = ox * g.stride - g.padding + kx
                                    out[ox] = ix >= 0 && ix < g.width ? line[ix] : 0
                                }
                            }
                            out += ow
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds every column entry back to the input pixel
/// it was read from. `gradient` (CNHW) is overwritten.
public func col2im(_ columns: [Float], _ g: ConvGeometry, into gradient: inout [Float]) {
    precondition(columns.count == g.patchSize * g.outputPixels)
    let size = g.channels * g.batch * g.height * g.width
    if gradient.count != size { gradient = [Float](repeating: 0, count: size) }
    columns.withUnsafeBufferPointer { col in
        gradient.withUnsafeMutableBufferPointer { dx in
            let (oh, ow, plane, taps) = (g.outputHeight, g.outputWidth, g.height * g.width, g.kernel * g.kernel)
            // Each thread owns whole channels, so no two threads add to one pixel.
            WorkerPool.shared.forEachChunk(of: g.channels) { channels in
                for c in channels {
                    (dx.baseAddress! + c * g.batch * plane).update(repeating: 0, count: g.batch * plane)
                    for tap in 0..<taps {
                        let ky = tap / g.kernel, kx = tap % g.kernel
                        var source = col.baseAddress! + (c * taps + tap) * g.outputPixels
                        for n in 0..<g.batch {
                            let image = dx.baseAddress! + (c * g.batch + n) * plane
                            for oy in 0..<oh {
                                let iy = oy * g.stride - g.padding + ky
                                if iy >= 0 && iy < g.height {
                                    let line = image + iy * g.width
                                    for ox in 0..<ow {
                                        let ix = ox * g.stride - g.padding + kx
                                        if ix >= 0 && ix < g.width { line[ix] += source[ox] }
                                    }
                                }
                                source += ow
                            }
                        }
                    }
                }
            }
        }
    }
}
