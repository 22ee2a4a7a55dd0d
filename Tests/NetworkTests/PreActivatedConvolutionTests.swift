import Kernels
import Network
import Testing

/// The fused norm → activation → convolution layer, which rebuilds the
/// activation in its backward pass instead of keeping it.
struct PreActivatedConvolutionTests {
    static let cases: [(ActivationKind, Bool)] = ActivationKind.allCases.flatMap { [($0, true), ($0, false)] }

    private func fused(_ kind: ActivationKind, norm: Bool, stride: Int = 1) -> PreActivatedConvolution {
        PreActivatedConvolution(norm: norm ? BatchNorm(features: 2) : nil, activation: kind,
                                convolution: Convolution(inputs: 2, outputs: 3, kernel: 3, stride: stride, padding: 1),
                                index: 1)
    }

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(kind: ActivationKind, norm: Bool) {
        checkLayerGradients(fused(kind, norm: norm), inputShape: [2, 3, 4, 5], epsilon: 1e-3, tolerance: 2e-2)
    }

    @Test func gradientsMatchFiniteDifferencesInEvaluationMode() {
        checkLayerGradients(fused(.relu, norm: true, stride: 2), inputShape: [2, 3, 5, 5], training: false,
                            epsilon: 1e-3, tolerance: 2e-2)
    }

    /// The same bits as the three layers it replaces, forward and backward,
    /// through two passes (the second over the first's gradients).
    @Test(arguments: cases)
    func equalsTheSeparateLayers(kind: ActivationKind, norm: Bool) {
        let layer = fused(kind, norm: norm, stride: norm ? 1 : 2)
        let separate = Sequential((layer.norm.map { [("norm", $0 as any Layer)] } ?? [])
                                  + [("act", Activation(kind)), ("conv", layer.convolution)])
        var rng = SeededGenerator(seed: 7)
        for entry in layer.parameters { entry.parameter.value = entry.parameter.value.map { $0 + rng.uniform(in: -1...1) } }
        let input = Tensor(shape: [2, 3, 4, 5], data: (0..<120).map { _ in rng.uniform(in: -2...2) })
        for _ in 0..<2 {
            for entry in layer.parameters { entry.parameter.zeroGradient() }
            let y = layer.forward(input, training: true)
            let dy = Tensor(shape: y.shape, data: (0..<y.count).map { _ in rng.uniform(in: -1...1) })
            let dx = layer.backward(dy)
            let fusedGradients = layer.parameters.map(\.parameter.gradient)
            for entry in layer.parameters { entry.parameter.zeroGradient() }
            // The separate layers share the fused one's parameters (a training
            // pass normalises with the batch's own statistics, so moving the
            // running ones again changes nothing here).
            #expect(separate.forward(input, training: true) == y)
            #expect(separate.backward(dy) == dx)
            #expect(layer.parameters.map(\.parameter.gradient) == fusedGradients)
        }
    }

    @Test func namesItsPartsAsTheSeparateLayersWould() {
        let layer = fused(.relu, norm: true)
        #expect(layer.parameters.map(\.name) == ["norm1.weight", "norm1.bias", "conv1.weight"])
        #expect(layer.buffers.map(\.name) == ["norm1.running_mean", "norm1.running_var"])
        #expect(fused(.relu, norm: false).parameters.map(\.name) == ["conv1.weight"])
        let branch = Sequential([("", layer)])
        #expect(branch.parameters.map(\.name) == layer.parameters.map(\.name))
        #expect(branch.batchNorms.count == 1)
    }
}
