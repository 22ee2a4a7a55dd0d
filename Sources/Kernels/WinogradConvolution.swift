/// 3×3 convolutions by Winograd's minimal filtering, F(2×2, 3×3) (Lavin and
/// Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): 16
/// multiplications for each 2×2 block of output pixels, input channel and
/// output channel, where the direct tiles need 36.
///
/// In one dimension, two outputs of a 3-tap filter `g` over four inputs `d`
/// are
///
///     m₁ = (d₀ − d₂)·g₀            m₂ = (d₁ + d₂)·(g₀ + g₁ + g₂)/2
///     m₄ = (d₁ − d₃)·g₂            m₃ = (d₂ − d₁)·(g₀ − g₁ + g₂)/2
///     y₀ = m₁ + m₂ + m₃            y₁ = m₂ − m₃ − m₄
///
/// four multiplications instead of six. Nested over rows and columns, a
/// 4×4 patch of the input becomes 16 transformed values `V = Bᵀ d B`, the
/// filter 16 values `U = G g Gᵀ`, and the 2×2 outputs `Y = Aᵀ M A`, where
/// `M = U ⊙ V` summed over the input channels. That sum is, for each of the
/// 16 positions ξ, a matrix product of patches by input channels by output
/// channels, computed in register tiles like the direct ones.
///
/// The work goes one image at a time: its 4×4 patches are transformed from
/// the padded planes (`PaddedLayout`), a row of patches at once in vectors;
/// the 16 products run; and each patch's 2×2 outputs are transformed back
/// into the product by pixel that `copyProduct` puts in place, as the direct
/// tiles leave it. Output `y₀` never reads input `d₃`, so a patch that
/// reaches past an odd-sized image's edge reads the neighbouring values
/// only for the output it drops.

/// Whether F(2×2, 3×3) computes the size-preserving convolution `g` with
/// `outputs` channels: a 3×3 kernel on rows of at most 32 pixels (a row of
/// patches in one vector), and 32 channels or more in and out, enough to
/// pay for the transforms (at 16, `reslab bench --gemm`'s 28×28 stage ran
/// no faster than the direct tiles).
func winogradFits(_ g: ConvGeometry, outputs: Int) -> Bool {
    g.preservesSize && g.kernel == 3 && g.padding == 1 && g.width <= 32 && min(g.channels, outputs) >= 32
}

/// The 16 transformed filters `U = G g Gᵀ` of a weight `[outputs, inputs,
/// 3, 3]` (PyTorch's order), arranged `[16, inputs, outputs]`; `mirrored`,
/// the filters of the input gradient: each one turned by 180°, arranged
/// `[16, outputs, inputs]` (the gradient reads `∂L/∂y` with the roles of
/// inputs and outputs swapped).
func winogradWeight(_ weight: UnsafePointer<Float>, outputs: Int, inputs: Int, mirrored: Bool,
                    into result: inout [Float]) {
    result.grow(to: 16 * outputs * inputs)
    let (firstCount, secondCount) = mirrored ? (outputs, inputs) : (inputs, outputs)
    for co in 0..<outputs {
        for ci in 0..<inputs {
            let filter = weight + (co * inputs + ci) * 9
            func row(_ r: Int) -> SIMD4<Float> {
                let source = mirrored ? filter + (2 - r) * 3 : filter + r * 3
                return mirrored ? SIMD4(source[2], source[1], source[0], 0) : SIMD4(source[0], source[1], source[2], 0)
            }
            // G g (four rows of three), then each row times Gᵀ.
            let (g0, g1, g2) = (row(0), row(1), row(2))
            let (first, second) = mirrored ? (co, ci) : (ci, co)
            func store(row r: Int, _ x: SIMD4<Float>) {
                let transformed = SIMD4<Float>(x[0], (x[0] + x[1] + x[2]) / 2, (x[0] - x[1] + x[2]) / 2, x[2])
                for column in 0..<4 {
                    result[((4 * r + column) * firstCount + first) * secondCount + second] = transformed[column]
                }
            }
            store(row: 0, g0)
            store(row: 1, (g0 + g1 + g2) / 2)
            store(row: 2, (g0 - g1 + g2) / 2)
            store(row: 3, g2)
        }
    }
}

/// Floating-point operations of `winogradOutputTiles` on `images` images:
/// the 16 products' multiply-adds (the transforms' additions not counted).
func winogradOperations(_ g: ConvGeometry, images: Int, inputs: Int, channels: Int) -> Int {
    2 * 16 * images * WinogradImage(g).patches * inputs * channels
}

/// The shape of one image's transform and of its scratch arrays: `V`, a
/// row of `patchStride` floats per position ξ and input channel, and `M`,
/// `channels` floats per position and patch.
struct WinogradImage {
    /// Rows and columns of patches.
    let rows: Int, columns: Int
    var patches: Int { rows * columns }
    /// Patches per register tile, by 32 channels (`wide`) or by 16: 7 or
    /// 14 when those divide the patches and 8 or 16 do not, else 8 or 16.
    var patchesPerTile: (wide: Int, narrow: Int) {
        (patches % 8 != 0 && patches % 7 == 0 ? 7 : 8, patches % 16 != 0 && patches % 14 == 0 ? 14 : 16)
    }
    /// `V`'s row stride: room for a register tile past the last patch and a
    /// row of patches past that.
    var patchStride: Int { oddLines(patches + 32) }
    /// Floats from one position's part of `V` to the next's.
    func inputStride(inputs: Int) -> Int { oddLines(inputs * patchStride) }
    /// Floats from one position's part of `M` to the next's, with room for
    /// a register tile past the last patch.
    func productStride(channels: Int) -> Int { oddLines((patches + 16) * channels) }

    init(_ g: ConvGeometry) {
        (rows, columns) = ((g.height + 1) / 2, (g.width + 1) / 2)
    }

    func transformedInputSize(inputs: Int) -> Int { 16 * inputStride(inputs: inputs) }
    func productSize(channels: Int) -> Int { 16 * productStride(channels: channels) }

    /// `floats` rounded up to an odd number of 64-byte lines: the 16
    /// positions of a patch, stored or read one after another, then fall
    /// into different L1 sets (a multiple of 4 KB apart, they would evict
    /// one another; 7×7×64 ran 1.2× slower so).
    private func oddLines(_ floats: Int) -> Int { ((floats + channelVector - 1) / channelVector | 1) * channelVector }
}

/// Writes the convolution of the padded planes (`inputs` of them, laid out
/// as `layout`) with the transformed filters `u` (`[16, inputs, channels]`,
/// see `winogradWeight`) into `product` by pixel, as
/// `DirectTiling.outputTiles` does; `workspace` holds the scratch arrays.
@available(macOS 26, *)
func winogradOutputTiles(planes: UnsafePointer<Float>, layout: PaddedLayout, inputs: Int, u: UnsafePointer<Float>,
                         channels: Int, workspace: ConvolutionWorkspace, into product: UnsafeMutablePointer<Float>) {
    let g = layout.g
    let image = WinogradImage(g)
    productOperations.add(winogradOperations(g, images: layout.images, inputs: inputs, channels: channels),
                          ordering: .relaxed)
    workspace.transformedInput.grow(to: image.transformedInputSize(inputs: inputs))
    workspace.transformedProduct.grow(to: image.productSize(channels: channels))
    workspace.transformedInput.withUnsafeMutableBufferPointer { v in
        workspace.transformedProduct.withUnsafeMutableBufferPointer { m in
            for index in 0..<layout.images {
                if image.columns <= 8 {
                    transformInput(SIMD8<Float>.self, planes: planes, layout: layout, image: index, inputs: inputs,
                                   shape: image, into: v.baseAddress!)
                } else {
                    transformInput(SIMD16<Float>.self, planes: planes, layout: layout, image: index, inputs: inputs,
                                   shape: image, into: v.baseAddress!)
                }
                multiplyTransformed(v.baseAddress!, u: u, inputs: inputs, channels: channels, shape: image,
                                    into: m.baseAddress!)
                transformOutput(m.baseAddress!, channels: channels, shape: image, g,
                                into: product + index * g.height * g.width * channels)
            }
        }
    }
}

/// A row of up to `scalarCount` patches, one lane each: the vector type
/// that `transformInput` works in.
protocol PatchRow: SIMD where Scalar == Float {
    /// The even and the odd floats of the `2 · scalarCount` at `start`.
    static func evensAndOdds(_ start: UnsafePointer<Float>) -> (Self, Self)
}

extension PatchRow {
    /// The four columns of a row of patches whose first starts at `row`
    /// (column `2j + c` of the row is patch `j`'s column `c`).
    @inline(__always)
    static func patchColumns(_ row: UnsafePointer<Float>) -> (Self, Self, Self, Self) {
        let (d0, d1) = evensAndOdds(row), (d2, d3) = evensAndOdds(row + 2)
        return (d0, d1, d2, d3)
    }
}

extension SIMD8: PatchRow where Scalar == Float {
    @inline(__always)
    static func evensAndOdds(_ start: UnsafePointer<Float>) -> (Self, Self) {
        let pair = UnsafeRawPointer(start).loadUnaligned(as: SIMD16<Float>.self)
        return (pair.evenHalf, pair.oddHalf)
    }
}

extension SIMD16: PatchRow where Scalar == Float {
    @inline(__always)
    static func evensAndOdds(_ start: UnsafePointer<Float>) -> (Self, Self) {
        let pair = UnsafeRawPointer(start).loadUnaligned(as: SIMD32<Float>.self)
        return (pair.evenHalf, pair.oddHalf)
    }
}

/// `V = Bᵀ d B` for every patch of image `image` and every input plane,
/// a row of patches at a time: `v[ξ·inputStride + channel·patchStride + patch]`.
/// Lanes past a row's last patch spill into the next row's, which is
/// written after them, or into the spare room after the last.
@available(macOS 26, *) @inline(__always)
func transformInput<Row: PatchRow>(_: Row.Type, planes: UnsafePointer<Float>, layout: PaddedLayout, image: Int,
                                   inputs: Int, shape: WinogradImage, into v: UnsafeMutablePointer<Float>) {
    let vStride = shape.inputStride(inputs: inputs)
    for channel in 0..<inputs {
        let plane = planes + channel * layout.planeStride
        for patchRow in 0..<shape.rows {
            // Bᵀ d B along each of the four rows, then down the columns.
            var rows = InlineArray<16, Row>(repeating: .zero)
            for i in 0..<4 {
                let (d0, d1, d2, d3) = Row.patchColumns(plane + layout.position(image: image, y: 2 * patchRow - 1 + i,
                                                                                x: -1))
                rows[4 * i] = d0 - d2
                rows[4 * i + 1] = d1 + d2
                rows[4 * i + 2] = d2 - d1
                rows[4 * i + 3] = d1 - d3
            }
            let first = patchRow * shape.columns
            for column in 0..<4 {
                let (d0, d1, d2, d3) = (rows[column], rows[4 + column], rows[8 + column], rows[12 + column])
                let transformed = (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
                func store(_ row: Int, _ value: Row) {
                    let xi = 4 * row + column
                    UnsafeMutableRawPointer(v + xi * vStride + channel * shape.patchStride + first)
                        .storeBytes(of: value, as: Row.self)
                }
                store(0, transformed.0)
                store(1, transformed.1)
                store(2, transformed.2)
                store(3, transformed.3)
            }
        }
    }
}

/// `M[ξ][patch] = Σ V[ξ][input][patch] · U[ξ][input]` over the input
/// channels, for every position ξ: 16 products of patches by inputs by
/// `channels`, in register tiles of 7 or 8 patches by 32 channels, or 14
/// or 16 by 16 (`OutputTile`).
@available(macOS 26, *)
func multiplyTransformed(_ v: UnsafePointer<Float>, u: UnsafePointer<Float>, inputs: Int, channels: Int,
                         shape: WinogradImage, into m: UnsafeMutablePointer<Float>) {
    for xi in 0..<16 {
        let vx = v + xi * shape.inputStride(inputs: inputs), ux = u + xi * inputs * channels
        let mx = m + xi * shape.productStride(channels: channels)
        var first = 0
        while first < channels {
            let wide = channels - first >= 2 * channelVector
            let perTile = wide ? shape.patchesPerTile.wide : shape.patchesPerTile.narrow
            for patch in stride(from: 0, to: shape.patches, by: perTile) {
                // The direct forward tile with one tap: a patch's value is
                // a pixel's, the position's input rows are its planes.
                let tile = (vx + patch, shape.patchStride, 0, 1, inputs, ux + first, channels,
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

/// `Y = Aᵀ M A` for every patch of one image, 16 channels at a time, into
/// `product` by pixel (`channels` floats each); outputs past an odd-sized
/// image's edge are dropped.
@available(macOS 26, *)
func transformOutput(_ m: UnsafePointer<Float>, channels: Int, shape: WinogradImage, _ g: ConvGeometry,
                     into product: UnsafeMutablePointer<Float>) {
    let mStride = shape.productStride(channels: channels)
    for patchRow in 0..<shape.rows {
        for patchColumn in 0..<shape.columns {
            let patch = m + (patchRow * shape.columns + patchColumn) * channels
            for first in stride(from: 0, to: channels, by: channelVector) {
                func value(_ xi: Int) -> SIMD16<Float> {
                    UnsafeRawPointer(patch + xi * mStride + first).loadUnaligned(as: SIMD16<Float>.self)
                }
                // Aᵀ M down each column, then A along the two rows.
                var top = InlineArray<4, SIMD16<Float>>(repeating: .zero), bottom = top
                for column in 0..<4 {
                    let (m0, m1, m2, m3) = (value(column), value(4 + column), value(8 + column), value(12 + column))
                    top[column] = m0 + m1 + m2
                    bottom[column] = m1 - m2 - m3
                }
                func store(_ dy: Int, _ dx: Int, _ output: SIMD16<Float>) {
                    let (y, x) = (2 * patchRow + dy, 2 * patchColumn + dx)
                    guard y < g.height, x < g.width else { return }
                    UnsafeMutableRawPointer(product + (y * g.width + x) * channels + first)
                        .storeBytes(of: output, as: SIMD16<Float>.self)
                }
                store(0, 0, top[0] + top[1] + top[2])
                store(0, 1, top[1] - top[2] - top[3])
                store(1, 0, bottom[0] + bottom[1] + bottom[2])
                store(1, 1, bottom[1] - bottom[2] - bottom[3])
            }
        }
    }
}
