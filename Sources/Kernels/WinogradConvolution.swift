/// 3×3 convolutions by Winograd's minimal filtering, F(4×4, 3×3) (Lavin and
/// Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): 36
/// multiplications for each 4×4 block of output pixels, input channel and
/// output channel, where the direct tiles need 144.
///
/// In one dimension, four outputs of a 3-tap filter `g` over six inputs `d`
/// are `y = Aᵀ [(G g) ⊙ (Bᵀ d)]`, six multiplications instead of twelve,
/// with (interpolating at 0, ±1, ±2 and ∞)
///
///          ⎡4  0 −5  0  1  0⎤         ⎡ 1/4    0     0 ⎤
///          ⎢0 −4 −4  1  1  0⎥         ⎢−1/6  −1/6  −1/6⎥         ⎡1  1  1  1  1  0⎤
///     Bᵀ = ⎢0  4 −4 −1  1  0⎥     G = ⎢−1/6   1/6  −1/6⎥    Aᵀ = ⎢0  1 −1  2 −2  0⎥
///          ⎢0 −2 −1  2  1  0⎥         ⎢1/24  1/12   1/6⎥         ⎢0  1  1  4  4  0⎥
///          ⎢0  2 −1 −2  1  0⎥         ⎢1/24 −1/12   1/6⎥         ⎣0  1 −1  8 −8  1⎦
///          ⎣0  4  0 −5  0  1⎦         ⎣  0     0     1 ⎦
///
/// Nested over rows and columns, a 6×6 patch of the input becomes 36
/// transformed values `V = Bᵀ d B`, the filter 36 values `U = G g Gᵀ`, and
/// the 4×4 outputs `Y = Aᵀ M A`, where `M = U ⊙ V` summed over the input
/// channels. That sum is, for each of the 36 positions ξ, a matrix product
/// of patches by input channels by output channels, computed in register
/// tiles like the direct ones.
///
/// The work goes a few images at a time (a chunk), 16 channels to a vector
/// throughout, so that no lane is wasted however narrow the image: the
/// patches are transformed from the input arranged by pixel (`[pixels,
/// channels]`, as `transposeToPixels` makes it); the 36 products run; and
/// each patch's outputs are transformed back into the product by pixel
/// that `copyProduct` puts in place, as the direct tiles leave it. Past the
/// image's edge a patch reads zeros (the padding): each output mixes all
/// six inputs of its patch and cancels those it does not need only up to
/// rounding, so it must never see a neighbouring row's pixels there. The
/// weight gradient runs the same transforms backwards
/// (WinogradWeightGradient.swift).

/// Output pixels along each side of a patch.
let winogradBlock = 4
/// Transformed values per patch and per filter: 6×6.
let winogradPositions = 36

/// Whether F(4×4, 3×3) computes the size-preserving convolution `g` with
/// `outputs` channels: a 3×3 kernel, and channels in and out in whole
/// vectors of 16.
func winogradFits(_ g: ConvGeometry, outputs: Int) -> Bool {
    g.preservesSize && g.kernel == 3 && g.padding == 1 && g.channels > 0 && g.channels % channelVector == 0
        && outputs % channelVector == 0
}

/// `Bᵀ d`: six inputs to six transformed values (a lane per patch).
@inline(__always)
func winogradInput<V: SIMD>(_ d: (V, V, V, V, V, V)) -> (V, V, V, V, V, V) where V.Scalar == Float {
    let (d0, d1, d2, d3, d4, d5) = d
    let (two, four, five): (Float, Float, Float) = (2, 4, 5)
    return (four * d0 - five * d2 + d4,
            d3 + d4 - four * (d1 + d2),
            d4 - d3 + four * (d1 - d2),
            d4 - d2 + two * (d3 - d1),
            d4 - d2 - two * (d3 - d1),
            four * d1 - five * d3 + d5)
}

/// `G g`: a filter's three taps to six transformed values.
@inline(__always)
func winogradFilter<V: SIMD>(_ g0: V, _ g1: V, _ g2: V) -> (V, V, V, V, V, V) where V.Scalar == Float {
    let (sum, alternating) = (g0 + g1 + g2, g0 - g1 + g2)
    let (weighted, weightedAlternating) = (g0 / 24 + g1 / 12 + g2 / 6, g0 / 24 - g1 / 12 + g2 / 6)
    return (g0 / 4, -sum / 6, -alternating / 6, weighted, weightedAlternating, g2)
}

/// `Aᵀ m`: six products to four outputs.
@inline(__always)
func winogradOutput<V: SIMD>(_ m: (V, V, V, V, V, V)) -> (V, V, V, V) where V.Scalar == Float {
    let (m0, m1, m2, m3, m4, m5) = m
    let (sum12, difference12, sum34, difference34) = (m1 + m2, m1 - m2, m3 + m4, m3 - m4)
    let (two, four, eight): (Float, Float, Float) = (2, 4, 8)
    return (m0 + sum12 + sum34, difference12 + two * difference34, sum12 + four * sum34,
            difference12 + eight * difference34 + m5)
}

/// The 36 transformed filters `U = G g Gᵀ` of a weight `[outputs, inputs,
/// 3, 3]` (PyTorch's order), arranged `[36, inputs, outputs]`; `mirrored`,
/// the filters of the input gradient: each one turned by 180°, arranged
/// `[36, outputs, inputs]` (the gradient reads `∂L/∂y` with the roles of
/// inputs and outputs swapped). The weight is first arranged by tap
/// (`arrangeByTap`) in the room after the filters, so that 16 filters are
/// transformed at once, one to a lane; the cores share the rows out when
/// there are enough of them (`splitWork`).
func winogradWeight(_ weight: UnsafePointer<Float>, outputs: Int, inputs: Int, mirrored: Bool,
                    into result: inout [Float]) {
    let (rows, columns) = mirrored ? (outputs, inputs) : (inputs, outputs)
    let pairs = outputs * inputs
    result.grow(to: (winogradPositions + 9) * pairs)
    result.withUnsafeMutableBufferPointer { buffer in
        let u = buffer.baseAddress!, byTap = u + winogradPositions * pairs
        arrangeByTap(weight, outputs: outputs, inputs: inputs, taps: 9, mirrored: mirrored, into: byTap)
        splitWork(rows, grain: 1, elements: winogradPositions * pairs,
                  TransformedFilterRows(byTap: byTap, rows: rows, columns: columns, into: u))
    }
}

/// `winogradWeight`'s transform of the filters arranged by tap, rows of
/// filters at a time: `columns` filters in a row, 16 to a vector.
private struct TransformedFilterRows: ChunkedWork {
    let byTap: UnsafePointer<Float>, rows: Int, columns: Int
    let into: UnsafeMutablePointer<Float>

    func run(_ chunk: Range<Int>) {
        for row in chunk {
            for column in stride(from: 0, to: columns, by: channelVector) {
                func tap(_ t: Int) -> SIMD16<Float> {
                    UnsafeRawPointer(byTap + (t * rows + row) * columns + column).loadUnaligned(as: SIMD16<Float>.self)
                }
                // G along the filter's three rows, then down its six columns.
                let (r0, r1, r2) = (winogradFilter(tap(0), tap(1), tap(2)), winogradFilter(tap(3), tap(4), tap(5)),
                                    winogradFilter(tap(6), tap(7), tap(8)))
                let (target, stride) = (into + row * columns + column, rows * columns)
                storePositions(winogradFilter(r0.0, r1.0, r2.0), column: 0, at: target, stride: stride)
                storePositions(winogradFilter(r0.1, r1.1, r2.1), column: 1, at: target, stride: stride)
                storePositions(winogradFilter(r0.2, r1.2, r2.2), column: 2, at: target, stride: stride)
                storePositions(winogradFilter(r0.3, r1.3, r2.3), column: 3, at: target, stride: stride)
                storePositions(winogradFilter(r0.4, r1.4, r2.4), column: 4, at: target, stride: stride)
                storePositions(winogradFilter(r0.5, r1.5, r2.5), column: 5, at: target, stride: stride)
            }
        }
    }
}

/// Floating-point operations of `winogradOutputTiles` on `images` images:
/// the 36 products' multiply-adds (the transforms' additions not counted).
func winogradOperations(_ g: ConvGeometry, images: Int, inputs: Int, channels: Int) -> Int {
    2 * winogradPositions * images * WinogradChunk(g, images: 1).patches * inputs * channels
}

/// A few images transformed together, and the strides of their scratch
/// arrays: `V`, `inputs` floats per position ξ and patch; `M`, `channels`
/// floats per position and patch.
struct WinogradChunk {
    /// The chunk's images, and the rows and columns of patches in each.
    let images: Int, rows: Int, columns: Int
    var patchesPerImage: Int { rows * columns }
    var patches: Int { images * patchesPerImage }

    init(_ g: ConvGeometry, images: Int) {
        self.images = images
        (rows, columns) = ((g.height + winogradBlock - 1) / winogradBlock, (g.width + winogradBlock - 1) / winogradBlock)
    }

    /// Images per chunk, in a group of `group`: the fewest that make at
    /// least 32 patches (an image of 7×7 has only four) and, if up to twice
    /// as many do, whole register tiles of 16 or 14 patches (two 28×28
    /// images' 98, where one's 49 would leave a tile of 16 one patch full).
    static func images(_ g: ConvGeometry, group: Int) -> Int {
        let perImage = WinogradChunk(g, images: 1).patches
        let enough = (32 + perImage - 1) / perImage
        let whole = (enough...2 * enough).first { $0 * perImage % 16 == 0 || $0 * perImage % 14 == 0 }
        return max(1, min(group, whole ?? enough))
    }

    /// Patches per register tile, by 32 channels (`wide`) or by 16: 7 or
    /// 14 when those divide the patches and 8 or 16 do not, else 8 or 16.
    var patchesPerTile: (wide: Int, narrow: Int) {
        (patches % 8 != 0 && patches % 7 == 0 ? 7 : 8, patches % 16 != 0 && patches % 14 == 0 ? 14 : 16)
    }
    /// Floats from one position's part of `V` (`inputs` floats per patch)
    /// or `M` (`channels`) to the next's: the patches rounded up to whole
    /// register tiles of 16, which the last tile of 8 or 16 may reach into
    /// (tiles of 7 and 14 are only taken when they divide the patches).
    func positionStride(_ floatsPerPatch: Int) -> Int { oddLines((patches + 15) / 16 * 16 * floatsPerPatch) }
    /// Floats for the 36 positions.
    func size(_ floatsPerPatch: Int) -> Int { winogradPositions * positionStride(floatsPerPatch) }

    /// `floats` rounded up to an odd number of 64-byte lines: the positions
    /// of a patch, stored or read one after another, then fall into
    /// different L1 sets (a multiple of 4 KB apart, they would evict one
    /// another; F(2×2, 3×3) ran 1.2× slower so at 7×7×64).
    private func oddLines(_ floats: Int) -> Int { ((floats + channelVector - 1) / channelVector | 1) * channelVector }
}

/// Writes the convolution of `images` images of `g`, arranged by pixel
/// (`inputs` floats each, see `transposeToPixels`), with the transformed
/// filters `u` (`[36, inputs, channels]`, see `winogradWeight`) into
/// `product` by pixel, as `DirectTiling.outputTiles` does; `workspace`
/// holds the scratch arrays.
func winogradOutputTiles(byPixel: UnsafePointer<Float>, _ g: ConvGeometry, images: Int, inputs: Int,
                         u: UnsafePointer<Float>, channels: Int, workspace: ConvolutionWorkspace,
                         into product: UnsafeMutablePointer<Float>) {
    guard #available(macOS 26, *) else { preconditionFailure("no Winograd tiles before macOS 26") }
    let pixels = g.height * g.width
    forEachChunk(g, images: images, inputs: inputs, channels: channels, workspace: workspace) { first, chunk, v, m in
        transformInput(byPixel + first * pixels * inputs, g, inputs: inputs, chunk: chunk, into: v)
        multiplyTransformed(v, u: u, inputs: inputs, channels: channels, chunk: chunk, into: m)
        transformOutput(m, channels: channels, chunk: chunk, g, into: product + first * pixels * channels)
    }
}

/// Counts the products of `images` images of `g` (`inputs` by `channels`
/// channels), then runs `body` on each chunk of them: its first image, its
/// shape, and the scratch arrays `V` and `M` (or `∂L/∂M`), grown for the
/// largest chunk.
@available(macOS 26, *) @inline(__always)
func forEachChunk(_ g: ConvGeometry, images: Int, inputs: Int, channels: Int, workspace: ConvolutionWorkspace,
                  _ body: (_ first: Int, _ chunk: WinogradChunk, _ v: UnsafeMutablePointer<Float>,
                           _ m: UnsafeMutablePointer<Float>) -> Void) {
    productOperations.add(winogradOperations(g, images: images, inputs: inputs, channels: channels),
                          ordering: .relaxed)
    let largest = WinogradChunk(g, images: WinogradChunk.images(g, group: images))
    workspace.transformedInput.grow(to: largest.size(inputs))
    workspace.transformedProduct.grow(to: largest.size(channels))
    workspace.transformedInput.withUnsafeMutableBufferPointer { v in
        workspace.transformedProduct.withUnsafeMutableBufferPointer { m in
            for first in stride(from: 0, to: images, by: largest.images) {
                body(first, WinogradChunk(g, images: min(largest.images, images - first)), v.baseAddress!,
                     m.baseAddress!)
            }
        }
    }
}

extension WinogradChunk {
    /// Runs `body` on every patch of the chunk and every block of 16 of
    /// `channels`: the patch's image, its index, its first output pixel's
    /// row and column, and the block's first channel.
    @inline(__always)
    func forEachPatch(channels: Int, _ body: (_ image: Int, _ patch: Int, _ top: Int, _ left: Int, _ first: Int) -> Void) {
        for image in 0..<images {
            for patchRow in 0..<rows {
                for patchColumn in 0..<columns {
                    let patch = (image * rows + patchRow) * columns + patchColumn
                    for first in stride(from: 0, to: channels, by: channelVector) {
                        body(image, patch, winogradBlock * patchRow, winogradBlock * patchColumn, first)
                    }
                }
            }
        }
    }
}

/// Stores the six transformed values of a patch's column `c` (positions
/// `6r + c`) at `target`, `stride` floats from one position to the next.
@inline(__always)
func storePositions(_ t: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>),
                    column c: Int, at target: UnsafeMutablePointer<Float>, stride: Int) {
    func store(_ r: Int, _ value: SIMD16<Float>) {
        UnsafeMutableRawPointer(target + (6 * r + c) * stride).storeBytes(of: value, as: SIMD16<Float>.self)
    }
    store(0, t.0)
    store(1, t.1)
    store(2, t.2)
    store(3, t.3)
    store(4, t.4)
    store(5, t.5)
}

/// `V = Bᵀ d B` for every patch of the chunk's images (arranged by pixel
/// from `byPixel`, `inputs` floats each), 16 input channels at a time:
/// `v[ξ·positionStride + patch·inputs + channel]`. Rows and columns past
/// the image's edge are zero.
@available(macOS 26, *)
func transformInput(_ byPixel: UnsafePointer<Float>, _ g: ConvGeometry, inputs: Int, chunk: WinogradChunk,
                    into v: UnsafeMutablePointer<Float>) {
    let vStride = chunk.positionStride(inputs)
    // Bᵀ along each of the six input rows of a patch: made once, every
    // element rewritten for each patch (made for each patch, it was zeroed
    // each time by a call to memset).
    var rows = InlineArray<36, SIMD16<Float>>(repeating: .zero)
    chunk.forEachPatch(channels: inputs) { image, patch, top, left, first in
        // Bᵀ along each of the six input rows (from the row above the
        // patch's outputs), then down each of the six columns.
        for i in 0..<6 {
            let y = top - 1 + i
            let row = byPixel + ((image * g.height + y) * g.width) * inputs + first
            func pixel(_ c: Int) -> SIMD16<Float> {
                let x = left - 1 + c
                guard 0 <= y && y < g.height && 0 <= x && x < g.width else { return .zero }
                return UnsafeRawPointer(row + x * inputs).loadUnaligned(as: SIMD16<Float>.self)
            }
            let t = winogradInput((pixel(0), pixel(1), pixel(2), pixel(3), pixel(4), pixel(5)))
            (rows[6 * i], rows[6 * i + 1], rows[6 * i + 2]) = (t.0, t.1, t.2)
            (rows[6 * i + 3], rows[6 * i + 4], rows[6 * i + 5]) = (t.3, t.4, t.5)
        }
        for c in 0..<6 {
            storePositions(winogradInput((rows[c], rows[6 + c], rows[12 + c], rows[18 + c], rows[24 + c], rows[30 + c])),
                           column: c, at: v + patch * inputs + first, stride: vStride)
        }
    }
}

/// `M[ξ][patch] = Σ V[ξ][patch][input] · U[ξ][input]` over the input
/// channels, for every position ξ: 36 products of patches by inputs by
/// `channels`, in register tiles of 7 or 8 patches by 32 channels, or 14
/// or 16 by 16 (`OutputTile`).
@available(macOS 26, *)
func multiplyTransformed(_ v: UnsafePointer<Float>, u: UnsafePointer<Float>, inputs: Int, channels: Int,
                         chunk: WinogradChunk, into m: UnsafeMutablePointer<Float>) {
    for xi in 0..<winogradPositions {
        let vx = v + xi * chunk.positionStride(inputs), ux = u + xi * inputs * channels
        let mx = m + xi * chunk.positionStride(channels)
        var first = 0
        while first < channels {
            let wide = channels - first >= 2 * channelVector
            let perTile = wide ? chunk.patchesPerTile.wide : chunk.patchesPerTile.narrow
            for patch in stride(from: 0, to: chunk.patches, by: perTile) {
                // The direct forward tile with one tap: a patch's values
                // are a pixel's, `inputs` floats from the next patch's.
                let tile = (vx + patch * inputs, inputs, 1, 0, 1, inputs, ux + first, channels,
                            mx + patch * channels + first)
                switch perTile {
                case 7: OutputTile<7, 2>.run(tile)
                case 8: OutputTile<8, 2>.run(tile)
                case 14: OutputTile<14, 1>.run(tile)
                default: OutputTile<16, 1>.run(tile)
                }
            }
            first += wide ? 2 * channelVector : channelVector
        }
    }
}

/// `Y = Aᵀ M A` for every patch of the chunk, 16 channels at a time, into
/// `product` by pixel (`channels` floats each); outputs past the image's
/// edge are dropped.
@available(macOS 26, *)
func transformOutput(_ m: UnsafePointer<Float>, channels: Int, chunk: WinogradChunk, _ g: ConvGeometry,
                     into product: UnsafeMutablePointer<Float>) {
    let mStride = chunk.positionStride(channels)
    // Aᵀ M down each of the six columns of a patch.
    var rows = InlineArray<24, SIMD16<Float>>(repeating: .zero)
    chunk.forEachPatch(channels: channels) { image, patch, top, left, first in
        let pixels = product + image * g.height * g.width * channels
        func value(_ xi: Int) -> SIMD16<Float> {
            UnsafeRawPointer(m + patch * channels + xi * mStride + first).loadUnaligned(as: SIMD16<Float>.self)
        }
        // Aᵀ M down each of the six columns, then A along the four rows.
        for c in 0..<6 {
            let t = winogradOutput((value(c), value(6 + c), value(12 + c), value(18 + c), value(24 + c), value(30 + c)))
            (rows[c], rows[6 + c], rows[12 + c], rows[18 + c]) = (t.0, t.1, t.2, t.3)
        }
        for r in 0..<winogradBlock where top + r < g.height {
            let y = top + r
            let t = winogradOutput((rows[6 * r], rows[6 * r + 1], rows[6 * r + 2], rows[6 * r + 3], rows[6 * r + 4],
                                    rows[6 * r + 5]))
            func store(_ c: Int, _ output: SIMD16<Float>) {
                guard left + c < g.width else { return }
                UnsafeMutableRawPointer(pixels + (y * g.width + left + c) * channels + first)
                    .storeBytes(of: output, as: SIMD16<Float>.self)
            }
            store(0, t.0)
            store(1, t.1)
            store(2, t.2)
            store(3, t.3)
        }
    }
}
