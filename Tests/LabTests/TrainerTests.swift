import AllocationCounter
import Datasets
import Kernels
import Lab
import Network
import RunProtocol
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
        #expect(trainer.step(on: clean, indices: Array(0..<8)[...], modes: [.residual, .residual], rate: 0.1).loss.isFinite)

        features[30] = .infinity
        let poisoned = LabeledSamples(storage: .floats(features), labels: labels, featureCount: 4)
        let before = trainer.network.parameters.map(\.parameter.value)
        let result = trainer.step(on: poisoned, indices: Array(0..<8)[...], modes: [.residual, .residual], rate: 0.1)
        #expect(!result.loss.isFinite)
        #expect(trainer.network.parameters.map(\.parameter.value) == before)
    }

    /// A whole training step as the engine takes it (gathering the batch
    /// from bytes or floats, forward, loss, backward and the optimizer's
    /// update) allocates nothing once it is steady. On two threads, where
    /// the network's shards are handed to the worker pool, this counts the
    /// calling thread's allocations: posting a job there must allocate
    /// nothing either.
    @Test(arguments: [ModelKind.dense, .conv], [true, false])
    func aSteadyTrainingStepAllocatesNothing(kind: ModelKind, bytes: Bool) {
        let spec = ModelSpec(kind: kind, inputShape: kind == .dense ? [16] : [1, 4, 4], classes: 3, depth: 1, width: 4)
        let values = (0..<20 * 16).map { UInt8($0 * 37 % 256) }
        let labels = (0..<20).map { $0 % 3 }
        let samples = LabeledSamples(storage: bytes ? .bytes(values, mean: 0.5, std: 0.25) : .floats(values.map(Float.init)),
                                     labels: labels, featureCount: 16)
        let modes = [BlockMode](repeating: .residual, count: spec.blockCount)
        let batches: [ArraySlice<Int>] = [[3, 1, 4, 1, 5, 9, 2, 6], [5, 3, 5, 8, 9, 7, 9, 3]]
        for threads in 1...min(2, WorkerPool.shared.capacity) {
            let trainer = Trainer(spec: spec, optimizer: OptimizerSettings(kind: .adam), seed: 2, threads: threads)
            let allocations = WorkerPool.withThreads(threads) {
                for batch in batches { _ = trainer.step(on: samples, indices: batch, modes: modes, rate: 0.01) }
                let before = reslab_thread_allocations()
                let result = trainer.step(on: samples, indices: batches[0], modes: modes, rate: 0.01)
                return (reslab_thread_allocations() - before, result.loss)
            }
            #expect(allocations.0 == 0 && allocations.1.isFinite, "\(allocations.0) allocations on \(threads) threads")
        }
    }
}
