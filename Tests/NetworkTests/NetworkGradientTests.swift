import Kernels
import Network
import RunProtocol
import Testing

/// Whole networks, in every block mode, against central finite differences
/// of the cross-entropy loss.
struct NetworkGradientTests {
    static let cases: [(ModelKind, BlockMode, NormKind)] = ModelKind.allCases.flatMap { kind in
        BlockMode.allCases.flatMap { mode in
            (kind == .dense ? NormKind.allCases : [.batch, .none]).map { (kind, mode, $0) }
        }
    }

    @Test(arguments: cases)
    func wholeNetwork(kind: ModelKind, mode: BlockMode, norm: NormKind) {
        let spec = ModelSpec(kind: kind, inputShape: kind == .dense ? [3] : [1, 6, 6], classes: 3,
                             depth: 2, width: kind == .dense ? 5 : 2, activation: .tanh, norm: norm,
                             initialization: .xavier)
        let net = ResNet(spec: spec, seed: 9)
        var rng = SeededGenerator(seed: 4)
        let batch = 4
        var input = Tensor(shape: [batch, spec.inputFeatures],
                           data: (0..<batch * spec.inputFeatures).map { _ in rng.normal() })
        let labels = [0, 1, 2, 1]
        // Mix the modes: the chosen one on every other block, residual on the rest.
        let modes = (0..<spec.blockCount).map { $0 % 2 == 0 ? mode : .residual }
        func loss() -> Double {
            Double(softmaxCrossEntropy(logits: net.forward(input, modes: modes, training: true), labels: labels).loss)
        }
        net.zeroGradients()
        let result = softmaxCrossEntropy(logits: net.forward(input, modes: modes, training: true), labels: labels)
        let inputGradient = net.backward(result.gradient)

        var numeric: [Double] = [], analytic: [Double] = []
        for entry in net.parameters {
            let p = entry.parameter
            let gradient = p.gradient
            for index in sampleIndices(p.value.count, 3) {
                numeric.append(numericDerivative(p, at: index, epsilon: 1e-2, loss))
                analytic.append(Double(gradient[index]))
            }
        }
        for index in sampleIndices(input.count, 8) {
            numeric.append(numericDerivative(get: { input.data[index] }, set: { input.data[index] = $0 },
                                             epsilon: 1e-2, loss))
            analytic.append(Double(inputGradient.data[index]))
        }
        let error = relativeError(numeric, analytic)
        #expect(error < 2e-2, "\(kind) \(mode) \(norm): relative error \(error)")
    }

    /// Training's backward skips the input gradient but must add exactly the
    /// parameter gradients the full backward adds.
    @Test(arguments: ModelKind.allCases)
    func trainingBackwardAddsTheSameParameterGradients(kind: ModelKind) {
        let spec = ModelSpec(kind: kind, inputShape: kind == .dense ? [3] : [2, 6, 6], classes: 3, depth: 2, width: 4)
        let net = ResNet(spec: spec, seed: 2)
        var rng = SeededGenerator(seed: 5)
        let input = Tensor(shape: [3, spec.inputFeatures], data: (0..<3 * spec.inputFeatures).map { _ in rng.normal() })
        let modes = Array(repeating: BlockMode.residual, count: spec.blockCount)
        func gradients(_ backward: (Tensor) -> Void) -> [[Float]] {
            net.zeroGradients()
            backward(softmaxCrossEntropy(logits: net.forward(input, modes: modes, training: true), labels: [0, 1, 2]).gradient)
            return net.parameters.map(\.parameter.gradient)
        }
        let full = gradients { net.backward($0) }
        #expect(full.allSatisfy { $0.contains { $0 != 0 } })
        #expect(gradients { net.accumulateGradients($0) } == full)
    }

    /// The convolutions share the batch out among the cores; the outputs and
    /// every gradient must not depend on how many threads run.
    @Test func convolutionalGradientsDoNotDependOnTheThreadCount() {
        let spec = ModelSpec(kind: .conv, inputShape: [1, 12, 12], classes: 3, depth: 1, width: 4)
        var rng = SeededGenerator(seed: 6)
        let input = Tensor(shape: [5, 144], data: (0..<5 * 144).map { _ in rng.normal() })
        func gradients(threads: Int) -> [[Float]] { WorkerPool.withThreads(threads) {
            #expect(WorkerPool.shared.threads == threads, "the thread counts compared must be the ones claimed")
            let net = ResNet(spec: spec, seed: 3)
            let logits = net.forward(input, modes: Array(repeating: .residual, count: spec.blockCount), training: true)
            let inputGradient = net.backward(softmaxCrossEntropy(logits: logits, labels: [0, 1, 2, 0, 1]).gradient)
            return [logits.data, inputGradient.data] + net.parameters.map(\.parameter.gradient)
        } }
        #expect(gradients(threads: 1) == gradients(threads: 2))
    }

    @Test func deletedBlockLeavesItsBranchWithoutGradient() {
        let spec = ModelSpec(kind: .dense, inputShape: [2], classes: 2, depth: 3, width: 4)
        let net = ResNet(spec: spec, seed: 1)
        let input = Tensor(shape: [2, 2], data: [0.5, -1, 2, 0.25])
        net.zeroGradients()
        let logits = net.forward(input, modes: [.residual, .deleted, .residual], training: true)
        net.backward(softmaxCrossEntropy(logits: logits, labels: [0, 1]).gradient)
        let stats = net.blockStatistics
        #expect(stats[1].weightGradientNorm == 0)
        #expect(stats[0].weightGradientNorm > 0)
        #expect(stats[2].weightGradientNorm > 0)
    }

    @Test func zeroInitialisationMakesEveryBlockTheIdentity() {
        let spec = ModelSpec(kind: .dense, inputShape: [2], classes: 2, depth: 4, width: 6, initialization: .zero)
        let net = ResNet(spec: spec, seed: 3)
        let input = Tensor(shape: [3, 2], data: [1, 2, 3, 4, 5, 6])
        let all = net.forward(input, modes: Array(repeating: .residual, count: 4), training: false)
        let none = net.forward(input, modes: Array(repeating: .deleted, count: 4), training: false)
        #expect(all == none)
    }
}
