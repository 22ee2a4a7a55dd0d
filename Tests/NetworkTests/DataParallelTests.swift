import Kernels
import Network
import RunProtocol
import Testing

/// A training step shared out among replicas, each on part of the batch,
/// against the same step on the whole batch at once.
struct DataParallelTests {
    /// Nine samples, so that the shards are uneven (four and five), in
    /// every norm and with every block mode in the chain; convolutional
    /// shards run their images in the network's workspaces, one share each.
    @Test(.enabled(if: WorkerPool.shared.capacity >= 2),
          arguments: NormKind.allCases.map { (ModelKind.dense, $0) } + [(.conv, .batch), (.conv, .none)])
    func shardsComputeTheWholeBatchsGradients(kind: ModelKind, norm: NormKind) {
        let spec = kind == .dense
            ? ModelSpec(kind: .dense, inputShape: [6], classes: 3, depth: 4, width: 8, norm: norm)
            : ModelSpec(kind: .conv, inputShape: [1, 6, 6], classes: 3, depth: 1, width: 4, norm: norm)
        let modes = Array([BlockMode.residual, .plain, .deleted, .residual].prefix(spec.blockCount))
        var rng = SeededGenerator(seed: 21)
        let batch = 9, features = spec.inputShape.reduce(1, *)
        // Offset inputs, so that batch statistics are far from zero mean.
        let input = Tensor(shape: [batch, features], data: (0..<batch * features).map { _ in 3 + rng.normal() })
        let labels = (0..<batch).map { $0 % 3 }

        let whole = ResNet(spec: spec, seed: 5)
        whole.zeroGradients()
        let result = softmaxCrossEntropy(logits: whole.forward(input, modes: modes, training: true), labels: labels)
        whole.accumulateGradients(result.gradient)

        let sharded = ResNet(spec: spec, seed: 5)
        let (loss, correct) = DataParallelNetwork(network: sharded, shards: 2)
            .computeGradients(input: input, labels: labels, modes: modes)

        #expect(abs(loss - result.loss) <= 1e-5 * max(1, abs(result.loss)))
        #expect(correct == result.correct)
        func values(_ tensors: [NamedParameter]) -> [[Double]] { tensors.map { $0.parameter.value.map(Double.init) } }
        func gradients(_ net: ResNet) -> [[Double]] { net.parameters.map { $0.parameter.gradient.map(Double.init) } }
        for (index, (expected, actual)) in zip(gradients(whole), gradients(sharded)).enumerated() {
            // A bias just before a batch norm has a gradient of zero, up to
            // rounding: there the difference itself must be tiny.
            let difference = zip(actual, expected).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            let error = relativeError(actual, expected)
            #expect(error < 1e-4 || difference < 1e-6, "\(whole.parameters[index].name): relative error \(error)")
        }
        #expect(gradients(sharded)[0].contains { $0 != 0 })
        for (expected, actual) in zip(values(whole.buffers), values(sharded.buffers)) {
            #expect(relativeError(actual, expected) < 1e-5)
        }
        for (expected, actual) in zip(whole.blockStatistics, sharded.blockStatistics) {
            #expect(relativeError([actual.weightGradientNorm, actual.inputGradientNorm].map(Double.init),
                                  [expected.weightGradientNorm, expected.inputGradientNorm].map(Double.init)) < 1e-4)
            #expect((actual.branchRatio == nil) == (expected.branchRatio == nil))
            if let a = actual.branchRatio, let e = expected.branchRatio { #expect(abs(a - e) <= 1e-4 * e) }
        }
    }
}
