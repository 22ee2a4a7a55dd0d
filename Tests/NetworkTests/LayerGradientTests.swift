import Foundation
import Network
import Testing

/// Every layer's backward pass against central finite differences.
struct LayerGradientTests {
    @Test func linear() {
        checkLayerGradients(Linear(inputs: 5, outputs: 4), inputShape: [3, 5])
    }

    @Test(arguments: [(3, 1, 1), (3, 2, 1), (1, 2, 0), (1, 1, 0), (3, 1, 0)])
    func convolution(kernel: Int, stride: Int, padding: Int) {
        let conv = Convolution(inputs: 2, outputs: 3, kernel: kernel, stride: stride, padding: padding)
        checkLayerGradients(conv, inputShape: [2, 2, 5, 6])
    }

    @Test(arguments: [true, false])
    func batchNormDense(training: Bool) {
        checkLayerGradients(BatchNorm(features: 4), inputShape: [6, 4], training: training)
    }

    @Test(arguments: [true, false])
    func batchNormChannelMajor(training: Bool) {
        checkLayerGradients(BatchNorm(features: 3), inputShape: [3, 2, 3, 3], training: training)
    }

    @Test func layerNorm() {
        checkLayerGradients(LayerNorm(features: 6), inputShape: [4, 6])
    }

    @Test(arguments: ActivationKind.allCases)
    func activation(kind: ActivationKind) {
        checkLayerGradients(Activation(kind), inputShape: [3, 7], epsilon: 1e-3)
    }

    @Test func globalAveragePool() {
        checkLayerGradients(GlobalAveragePool(), inputShape: [3, 2, 4, 5])
    }

    @Test func channelMajorLayout() {
        checkLayerGradients(ChannelMajor(channels: 2, height: 3, width: 2), inputShape: [4, 12])
    }

    @Test func softmaxCrossEntropyGradient() {
        var values = (0..<12).map { Float($0 % 5) * 0.37 - 0.6 }
        let labels = [0, 2, 1, 2]
        func loss(_ values: [Float]) -> Double {
            Double(softmaxCrossEntropy(logits: Tensor(shape: [4, 3], data: values), labels: labels).loss)
        }
        let analytic = softmaxCrossEntropy(logits: Tensor(shape: [4, 3], data: values), labels: labels).gradient.data
        let numeric = (0..<12).map { i in
            let saved = values[i]
            values[i] = saved + 1e-2
            let plus = loss(values)
            values[i] = saved - 1e-2
            let minus = loss(values)
            values[i] = saved
            return (plus - minus) / 2e-2
        }
        #expect(relativeError(numeric, analytic.map(Double.init)) < 1e-3)
    }

    @Test func softmaxCrossEntropyOfUniformLogitsIsLogK() {
        let result = softmaxCrossEntropy(logits: Tensor(zeros: [2, 4]), labels: [1, 3])
        #expect(abs(result.loss - log(4)) < 1e-6)
    }
}
