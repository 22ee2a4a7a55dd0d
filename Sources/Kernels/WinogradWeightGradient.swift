/// The weight gradient of a 3×3 convolution by F(4×4, 3×3), the transpose
/// of Winograd's forward pass (WinogradConvolution.swift).
///
/// The forward pass computes each patch's outputs as `Y = Aᵀ [Σ U ⊙ V] A`
/// with `U = G g Gᵀ`. Both maps are linear, so the gradient runs them
/// backwards: `∂L/∂M = A ∂L/∂Y Aᵀ` for every patch (its 4×4 output
/// gradients, zero past the image's edge, become 6×6), then for each of the
/// 36 positions `∂L/∂U = Σ_patches V ⊗ ∂L/∂M`, a product of input channels
/// by output channels summed over the patches in register tiles, and at
/// last `∂L/∂g = Gᵀ ∂L/∂U G` for every filter: 36 products per patch and
/// pair of channels, where the direct weight-gradient tiles do 144.

/// `A x`: four output gradients to six (a lane per channel).
@inline(__always)
func winogradOutputGradient<V: SIMD>(_ y: (V, V, V, V)) -> (V, V, V, V, V, V) where V.Scalar == Float {
    let (y0, y1, y2, y3) = y
    let (two, four, eight): (Float, Float, Float) = (2, 4, 8)
    let (even, odd) = (y0 + y2, y1 + y3)
    let (evenScaled, oddScaled) = (y0 + four * y2, two * y1 + eight * y3)
    return (y0, even + odd, even - odd, evenScaled + oddScaled, evenScaled - oddScaled, y3)
}

/// `Gᵀ u`: six transformed values back to a filter's three taps.
@inline(__always)
func winogradFilterGradient<V: SIMD>(_ u: (V, V, V, V, V, V)) -> (V, V, V) where V.Scalar == Float {
    let (u0, u1, u2, u3, u4, u5) = u
    let (sum, difference) = (u1 + u2, u3 + u4)
    return (u0 / 4 - sum / 6 + difference / 24, (u2 - u1) / 6 + (u3 - u4) / 12, difference / 6 - sum / 6 + u5)
}

/// Adds `∂L/∂U` (`[36, inputs, outputs]`, stored over the old values with
/// `overwrite`) for `images` images of `g`, from their input and `∂L/∂y`,
/// both arranged by pixel (`transposeToPixels`).
func winogradTransformedGradient(inputByPixel: UnsafePointer<Float>, gradientByPixel: UnsafePointer<Float>,
                                 _ g: ConvGeometry, images: Int, inputs: Int, outputs: Int, overwrite: Bool,
                                 workspace: ConvolutionWorkspace, into du: UnsafeMutablePointer<Float>) {
    guard #available(macOS 26, *) else { preconditionFailure("no Winograd tiles before macOS 26") }
    let pixels = g.height * g.width
    forEachChunk(g, images: images, inputs: inputs, channels: outputs, workspace: workspace) { first, chunk, v, dm in
        transformInput(inputByPixel + first * pixels * inputs, g, inputs: inputs, chunk: chunk, into: v)
        transformOutputGradient(gradientByPixel + first * pixels * outputs, g, outputs: outputs, chunk: chunk, into: dm)
        sumTransformedProducts(v, dm, inputs: inputs, outputs: outputs, chunk: chunk, overwrite: overwrite && first == 0,
                               into: du)
    }
}

/// `∂L/∂M = A ∂L/∂Y Aᵀ` for every patch of the chunk, 16 channels at a
/// time, from `∂L/∂y` by pixel (`outputs` floats each):
/// `dm[ξ·positionStride + patch·outputs + channel]`. Outputs past the
/// image's edge were dropped, so their gradients are zero.
@available(macOS 26, *)
func transformOutputGradient(_ byPixel: UnsafePointer<Float>, _ g: ConvGeometry, outputs: Int, chunk: WinogradChunk,
                             into dm: UnsafeMutablePointer<Float>) {
    let stride = chunk.positionStride(outputs)
    // A along each of the four gradient rows of a patch.
    var rows = InlineArray<24, SIMD16<Float>>(repeating: .zero)
    chunk.forEachPatch(channels: outputs) { image, patch, top, left, first in
        for r in 0..<winogradBlock {
            let y = top + r
            let row = byPixel + ((image * g.height + y) * g.width) * outputs + first
            func gradient(_ c: Int) -> SIMD16<Float> {
                guard y < g.height && left + c < g.width else { return .zero }
                return UnsafeRawPointer(row + (left + c) * outputs).loadUnaligned(as: SIMD16<Float>.self)
            }
            let t = winogradOutputGradient((gradient(0), gradient(1), gradient(2), gradient(3)))
            (rows[6 * r], rows[6 * r + 1], rows[6 * r + 2]) = (t.0, t.1, t.2)
            (rows[6 * r + 3], rows[6 * r + 4], rows[6 * r + 5]) = (t.3, t.4, t.5)
        }
        for c in 0..<6 {
            storePositions(winogradOutputGradient((rows[c], rows[6 + c], rows[12 + c], rows[18 + c])), column: c,
                           at: dm + patch * outputs + first, stride: stride)
        }
    }
}

/// `∂L/∂U[ξ] (+)= Σ_patches V[ξ][patch]ᵀ ∂L/∂M[ξ][patch]` for every
/// position, in register tiles of 8 input channels by 32 or 16 outputs
/// (`WeightGradientTile`, its pixels the patches).
@available(macOS 26, *)
func sumTransformedProducts(_ v: UnsafePointer<Float>, _ dm: UnsafePointer<Float>, inputs: Int, outputs: Int,
                            chunk: WinogradChunk, overwrite: Bool, into du: UnsafeMutablePointer<Float>) {
    for xi in 0..<winogradPositions {
        let vx = v + xi * chunk.positionStride(inputs), dmx = dm + xi * chunk.positionStride(outputs)
        let dux = du + xi * inputs * outputs
        var first = 0
        while first < outputs {
            let wide = outputs - first >= 2 * channelVector
            for input in stride(from: 0, to: inputs, by: 8) {
                let tile = (vx + input, 1, inputs, chunk.patches, dmx + first, outputs, overwrite,
                            dux + input * outputs + first)
                if wide { WeightGradientTile<8, 2>.run(pixels: tile) } else { WeightGradientTile<8, 1>.run(pixels: tile) }
            }
            first += wide ? 2 * channelVector : channelVector
        }
    }
}

/// `∂L/∂W` in PyTorch's order (`[outputs, inputs, 3, 3]`) from `∂L/∂U`
/// (`[36, inputs, outputs]`): `∂L/∂g = Gᵀ ∂L/∂U G` for every filter, 16
/// output channels at a time.
func winogradFilterGradients(_ du: UnsafePointer<Float>, inputs: Int, outputs: Int,
                             into dw: UnsafeMutablePointer<Float>) {
    for input in 0..<inputs {
        for first in stride(from: 0, to: outputs, by: channelVector) {
            func value(_ xi: Int) -> SIMD16<Float> {
                UnsafeRawPointer(du + (xi * inputs + input) * outputs + first).loadUnaligned(as: SIMD16<Float>.self)
            }
            // Gᵀ along each of the six rows, then down the three columns.
            var rows = InlineArray<18, SIMD16<Float>>(repeating: .zero)
            for r in 0..<6 {
                let t = winogradFilterGradient((value(6 * r), value(6 * r + 1), value(6 * r + 2), value(6 * r + 3),
                                                value(6 * r + 4), value(6 * r + 5)))
                (rows[3 * r], rows[3 * r + 1], rows[3 * r + 2]) = (t.0, t.1, t.2)
            }
            for b in 0..<3 {
                let t = winogradFilterGradient((rows[b], rows[3 + b], rows[6 + b], rows[9 + b], rows[12 + b],
                                                rows[15 + b]))
                for lane in 0..<channelVector {
                    let filter = dw + ((first + lane) * inputs + input) * 9
                    (filter[b], filter[3 + b], filter[6 + b]) = (t.0[lane], t.1[lane], t.2[lane])
                }
            }
        }
    }
}
