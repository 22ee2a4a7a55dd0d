import Testing
import Kernels

/// Whole convolutions, forward and backward, against the definition summed
/// directly: the size-preserving ones go through shifted padded planes,
/// the others through im2col, and both must agree with it.
struct ConvolutionKernelsTests {
    /// `reslab bench --gemm`'s convolution products take a group as large as
    /// the engine's (the planes of the input and of ∂L/∂y within 2¹⁷ floats,
    /// one more image over), and count the useful arithmetic (the images'
    /// pixels): all that the direct tiles compute, where the shifted products
    /// (12×12, whose rows fit no tile) compute over the whole span and
    /// Winograd's tiles less.
    @Test(arguments: [(16, 28), (32, 14), (64, 7), (16, 12)])
    func benchmarkProductsCountTheirArithmetic(channels: Int, size: Int) {
        let products = ConvolutionProducts(channels: channels, size: size, batch: 64, shares: 2)
        let perImage = 2 * channels * (size + 1) * (size + 1)
        #expect(products.images * perImage <= 1 << 17 && (products.images + 1) * perImage > 1 << 17)
        let perColumn = 3 * 2 * channels * 9 * channels
        #expect(products.usefulOperations == perColumn * products.images * size * size)
        // From the first image's first pixel to the last image's last: each
        // row with its padding column, and the padding row after each image.
        let span = (products.images * (size + 1) - 1) * (size + 1) - 1
        // The forward, weight-gradient and input-gradient tiles are
        // Winograd's: 36 products per 4×4 patch (at 7×7, four patches cover
        // the image and reach past it), not 16·9.
        let patches = products.images * ((size + 3) / 4) * ((size + 3) / 4)
        let winograd = 3 * 2 * 36 * patches * channels * channels
        let counted = size == 12 ? perColumn * span : winograd
        #expect(products.operations == counted)
        products.run()
    }

    /// (channels, outputs, height, width, kernel, stride, padding, batch). The
    /// batch of 70 makes more than one image group per share, so the weight
    /// gradient's groups are summed too. The direct tiles take 16 or 32
    /// channels on rows of 7, 14 or 8 pixels (also as a 5×5 kernel, and
    /// with 48 outputs: a block of 32 and one of 16); 1 or 12 input
    /// channels have them forward, and backward only without an input
    /// gradient, as a network's first layer; 3×3 kernels with 16 channels
    /// or more in and out take Winograd's tiles forward, for the weight
    /// gradient and for the input gradient (odd and even sizes, rows of 7 to 28 pixels, blocks of 32
    /// and 16 channels, and at 14×14 two chunks of images per share, the
    /// second smaller). At stride 2 the direct tiles take the forward pass
    /// and the weight gradient, and im2col the input gradient: 3×3 from
    /// even and odd sizes (13×13, whose last taps read past the image's
    /// edge), on output rows of 7 and 8, 5×5 (padding 2: two zero rows and
    /// columns read on every side), and 1×1 with no padding, as
    /// `conv-fashion`'s projections. The others take the shifted products
    /// or im2col.
    @Test(arguments: [
        (16, 16, 12, 12, 3, 1, 1, 70), (3, 8, 5, 7, 3, 1, 1, 3), (2, 5, 6, 4, 5, 1, 2, 2),
        (4, 3, 5, 5, 1, 1, 0, 3), (1, 8, 9, 9, 3, 1, 1, 4), (3, 8, 7, 6, 3, 2, 1, 3),
        (16, 32, 7, 14, 3, 1, 1, 70), (32, 16, 6, 8, 3, 1, 1, 5), (16, 48, 7, 7, 5, 1, 2, 3),
        (1, 16, 5, 14, 3, 1, 1, 4), (12, 16, 4, 7, 3, 1, 1, 2),
        (32, 32, 7, 7, 3, 1, 1, 5), (32, 48, 6, 14, 3, 1, 1, 3), (48, 32, 3, 28, 3, 1, 1, 2),
        (32, 32, 14, 14, 3, 1, 1, 10),
        (16, 32, 14, 14, 3, 2, 1, 70), (16, 16, 13, 13, 3, 2, 1, 3), (8, 16, 14, 16, 3, 2, 1, 2),
        (16, 32, 28, 28, 1, 2, 0, 5), (16, 16, 14, 14, 5, 2, 2, 3),
    ])
    func convolutionMatchesTheDefinition(channels: Int, outputs: Int, height: Int, width: Int, kernel: Int,
                                         stride: Int, padding: Int, batch: Int) {
        var rng = SeededGenerator(seed: 21)
        let g = ConvGeometry(channels: channels, batch: batch, height: height, width: width, kernel: kernel,
                             stride: stride, padding: padding)
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let x = randomArray(channels * batch * height * width, &rng)
        let w = randomArray(outputs * g.patchSize, &rng)
        let dy = randomArray(outputs * g.outputPixels, &rng)
        // The workspaces first serve a larger convolution, as they do in a
        // network, so that anything read and not rewritten would show.
        let workspaces = ConvolutionWorkspace.perShare()
        let larger = ConvGeometry(channels: channels + 1, batch: batch, height: height + 2, width: width + 3,
                                  kernel: kernel, stride: 1, padding: kernel / 2)
        let largerInput = randomArray(larger.channels * batch * larger.height * larger.width, &rng)
        let largerWeight = randomArray(outputs * larger.patchSize, &rng)
        var largerGradient = [Float](repeating: 0, count: largerWeight.count)
        var largerOutput = [Float](repeating: 0, count: outputs * larger.outputPixels)
        var largerInputGradient = [Float](repeating: 0, count: largerInput.count)
        convolutionForward(largerInput, larger, weight: largerWeight, outputs: outputs, workspaces: workspaces,
                           into: &largerOutput)
        convolutionBackward(largerInput, larger, weight: largerWeight, outputs: outputs, outputGradient: largerOutput,
                            weightGradient: &largerGradient, inputGradient: &largerInputGradient, workspaces: workspaces)

        var y = [Double](repeating: 0, count: dy.count), dw = [Double](repeating: 0, count: w.count)
        var dx = [Double](repeating: 0, count: x.count)
        for co in 0..<outputs {
            for c in 0..<channels {
                for ky in 0..<kernel {
                    for kx in 0..<kernel {
                        let wi = ((co * channels + c) * kernel + ky) * kernel + kx
                        for n in 0..<batch {
                            for oy in 0..<oh {
                                for ox in 0..<ow {
                                    let (iy, ix) = (oy * stride - padding + ky, ox * stride - padding + kx)
                                    guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                                    let xi = ((c * batch + n) * height + iy) * width + ix
                                    let yi = ((co * batch + n) * oh + oy) * ow + ox
                                    y[yi] += Double(w[wi] * x[xi])
                                    dw[wi] += Double(dy[yi] * x[xi])
                                    dx[xi] += Double(dy[yi] * w[wi])
                                }
                            }
                        }
                    }
                }
            }
        }

        // The output and the input gradient start as NaN: every element
        // must be written, none read.
        var output = [Float](repeating: .nan, count: dy.count)
        convolutionForward(x, g, weight: w, outputs: outputs, workspaces: workspaces, into: &output)
        var weightGradient = [Float](repeating: 1, count: w.count)
        var inputGradient = [Float](repeating: .nan, count: x.count)
        convolutionBackward(x, g, weight: w, outputs: outputs, outputGradient: dy, weightGradient: &weightGradient,
                            inputGradient: &inputGradient, workspaces: workspaces)
        expectClose(output, y)
        // The weight gradient is added to what was there (here ones).
        expectClose(weightGradient, dw.map { $0 + 1 })
        expectClose(inputGradient, dx)

        // A first layer asks for no input gradient, so the direct (or
        // Winograd's) tiles take its weight gradient whatever its input
        // channels.
        var firstLayerGradient = [Float](repeating: .nan, count: w.count)
        var none: [Float] = []
        convolutionBackward(x, g, weight: w, outputs: outputs, outputGradient: dy, weightGradient: &firstLayerGradient,
                            existing: 0, inputGradient: &none, workspaces: workspaces)
        expectClose(firstLayerGradient, dw)
    }

    private func expectClose(_ actual: [Float], _ expected: [Double]) {
        #expect(actual.count == expected.count)
        #expect(!actual.contains { !$0.isFinite }, "an element was left unwritten")
        let scale = expected.reduce(0) { max($0, abs($1)) }
        let worst = zip(actual, expected).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
        #expect(worst <= 1e-5 * max(scale, 1), "worst error \(worst) against a largest value \(scale)")
    }
}
