import Datasets
import Kernels
import Lab
import Network
import Testing

struct TrainerTests {
    /// A non-finite loss in one shard's half of the batch must stop every
    /// shard before its backward pass (or the other would wait forever for
    /// batch-norm sums), and leave the weights as they were.
    @Test(.enabled(if: WorkerPool.shared.capacity >= 2))
    func nonFiniteLossInOneShardLeavesTheWeightsAlone() {
        let spec = ModelSpec(kind: .dense, inputShape: [4], classes: 2, depth: 2, width: 8)
        let trainer = Trainer(spec: spec, optimizer: OptimizerSettings(kind: .sgd), seed: 1, threads: 2)
        var features = (0..<8 * 4).map { Float($0 % 5) - 2 }
        let labels = (0..<8).map { $0 % 2 }
        let clean = LabeledSamples(storage: .floats(features), labels: labels, featureCount: 4)
        #expect(trainer.step(on: clean, indices: 0..<8, modes: [.residual, .residual], rate: 0.1).loss.isFinite)

        features[30] = .infinity
        let poisoned = LabeledSamples(storage: .floats(features), labels: labels, featureCount: 4)
        let before = trainer.network.parameters.map(\.parameter.value)
        let result = trainer.step(on: poisoned, indices: 0..<8, modes: [.residual, .residual], rate: 0.1)
        #expect(!result.loss.isFinite)
        #expect(trainer.network.parameters.map(\.parameter.value) == before)
    }
}
