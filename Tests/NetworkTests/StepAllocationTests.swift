import AllocationCounter
import Kernels
import Network
import RunProtocol
import Testing

/// What a steady training step asks the allocator for, on one thread:
/// nothing. The layers take every tensor from their network's store and
/// give it back there (see `TensorStore`), and the optimizer and the batch
/// norms work in arrays they keep (see `Tests/AllocationCounter`).
struct StepAllocationTests {
    /// A network of `spec` with an optimizer of `kind`, after two steps on
    /// its batch, so that every buffer it keeps exists; and the count of
    /// allocations in its third step.
    private func allocationsInThirdStep(_ spec: ModelSpec, optimizer kind: OptimizerKind) -> Int {
        let network = ResNet(spec: spec, seed: 4)
        let optimizer = Optimizer(settings: OptimizerSettings(kind: kind), parameters: network.parameters.map(\.parameter))
        var rng = SeededGenerator(seed: 4)
        let batch = 6
        let input = Tensor(shape: [batch, spec.inputFeatures], data: (0..<batch * spec.inputFeatures).map { _ in rng.normal() })
        let labels = (0..<batch).map { $0 % spec.classes }
        let modes = [BlockMode](repeating: .residual, count: spec.blockCount)
        func step() {
            network.zeroGradients()
            let logits = network.forward(input, modes: modes, training: true)
            let loss = softmaxCrossEntropy(logits: consume logits, labels: labels)
            network.accumulateGradients(loss.gradient)
            optimizer.step(rate: 0.01)
        }
        return WorkerPool.withThreads(1) {
            for _ in 0..<2 { step() }
            let before = reslab_thread_allocations()
            step()
            return reslab_thread_allocations() - before
        }
    }

    @Test(arguments: [NormKind.none, .batch, .layer], [ActivationKind.relu, .gelu])
    func aSteadyDenseStepAllocatesNothing(norm: NormKind, activation: ActivationKind) {
        let spec = ModelSpec(kind: .dense, inputShape: [2], classes: 3, depth: 3, width: 16,
                             activation: activation, norm: norm)
        #expect(allocationsInThirdStep(spec, optimizer: .sgd) == 0)
    }

    /// Convolutions, batch norms, the fused norm-activation-convolution
    /// layers, projections and the pooling head, with either optimizer.
    @Test(arguments: [NormKind.none, .batch], [OptimizerKind.sgd, .adam])
    func aSteadyConvolutionalStepAllocatesNothing(norm: NormKind, optimizer: OptimizerKind) {
        let spec = ModelSpec(kind: .conv, inputShape: [1, 8, 8], classes: 4, depth: 1, width: 4, norm: norm)
        #expect(allocationsInThirdStep(spec, optimizer: optimizer) == 0)
    }

    /// The counter sees what the store cannot help: logits the caller keeps
    /// are never given back, so the next pass makes its head's output anew.
    @Test func aPassWhoseOutputIsKeptAllocatesIt() {
        let spec = ModelSpec(kind: .dense, inputShape: [2], classes: 3, depth: 2, width: 8, norm: .none)
        let network = ResNet(spec: spec, seed: 1)
        let input = Tensor(shape: [4, 2], data: [1, 2, 3, 4, 5, 6, 7, 8])
        let modes = [BlockMode](repeating: .residual, count: spec.blockCount)
        let allocations = WorkerPool.withThreads(1) {
            _ = network.forward(input, modes: modes, training: false)
            let before = reslab_thread_allocations()
            let kept = network.forward(input, modes: modes, training: false)
            return (reslab_thread_allocations() - before, kept)
        }
        #expect(allocations.0 >= 1 && allocations.1.count == 12)
    }
}
