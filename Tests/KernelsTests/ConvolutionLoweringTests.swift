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
