import Testing
import Kernels

struct ConvolutionLoweringTests {
    /// col2im must be the exact adjoint of im2col: <im2col(x), y> = <x, col2im(y)>.
    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 2, 0), (3, 1, 0)])
    func col2imIsTheAdjointOfIm2col(kernel: Int, stride: Int, padding: Int) {
        var rng = SeededGenerator(seed: 11)
        let g = ConvGeometry(channels: 3, batch: 2, height: 7, width: 6, kernel: kernel, stride: stride, padding: padding)
        let x = randomArray(3 * 2 * 7 * 6, &rng)
        let y = randomArray(g.patchSize * g.outputPixels, &rng)
        var columns: [Float] = [], back: [Float] = []
        im2col(x, g, images: 0..<2, into: &columns)
        col2im(y, g, images: 0..<2, into: &back)
        let lhs = zip(columns, y).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        let rhs = zip(x, back).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        #expect(abs(lhs - rhs) < 1e-3 * max(1, abs(lhs)))
    }

    /// Every geometry, tiny images included, against the definition:
    /// column (n, oy, ox) of row (c, ky, kx) is x[c, n, oy·s − p + ky, ox·s − p + kx], or 0 outside.
    @Test(arguments: [(1, 1, 3, 1, 1), (2, 3, 3, 1, 1), (5, 4, 3, 1, 1), (5, 4, 3, 2, 1), (4, 4, 1, 1, 0), (6, 5, 1, 2, 0)])
    func im2colMatchesTheDefinition(height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        var rng = SeededGenerator(seed: 13)
        let g = ConvGeometry(channels: 2, batch: 3, height: height, width: width, kernel: kernel, stride: stride,
                             padding: padding)
        let x = randomArray(2 * 3 * height * width, &rng)
        var columns: [Float] = []
        im2col(x, g, images: 0..<3, into: &columns)
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        for c in 0..<2 {
            for ky in 0..<kernel {
                for kx in 0..<kernel {
                    for n in 0..<3 {
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                let (iy, ix) = (oy * stride - padding + ky, ox * stride - padding + kx)
                                let inside = iy >= 0 && iy < height && ix >= 0 && ix < width
                                let expected = inside ? x[((c * 3 + n) * height + iy) * width + ix] : 0
                                let row = (c * kernel + ky) * kernel + kx
                                #expect(columns[row * g.outputPixels + (n * oh + oy) * ow + ox] == expected)
                            }
                        }
                    }
                }
            }
        }
    }

    @Test func imageGroupsTileTheWholeBatch() {
        var rng = SeededGenerator(seed: 12)
        let g = ConvGeometry(channels: 2, batch: 3, height: 5, width: 5, kernel: 3, stride: 2, padding: 1)
        let x = randomArray(2 * 3 * 25, &rng)
        var whole: [Float] = [], part: [Float] = []
        im2col(x, g, images: 0..<3, into: &whole)
        im2col(x, g, images: 1..<2, into: &part)
        let pixels = g.outputHeight * g.outputWidth
        for row in 0..<g.patchSize {
            #expect(Array(whole[(row * 3 + 1) * pixels..<(row * 3 + 2) * pixels]) == Array(part[row * pixels..<(row + 1) * pixels]))
        }
    }

    @Test func im2colPlacesPixelsWherePyTorchWouldRead() {
        // One 3×3 image holding 1…9, a 3×3 kernel with padding 1: the centre
        // tap (row 4) of output pixel (0,0) is input (0,0); its top-left tap
        // (row 0) falls in the padding.
        let g = ConvGeometry(channels: 1, batch: 1, height: 3, width: 3, kernel: 3, stride: 1, padding: 1)
        var columns: [Float] = []
        im2col((1...9).map(Float.init), g, images: 0..<1, into: &columns)
        #expect(columns[4 * 9 + 0] == 1)
        #expect(columns[0 * 9 + 0] == 0)
        #expect(columns[8 * 9 + 0] == 5)
        #expect(columns[0 * 9 + 8] == 5)
    }
}
