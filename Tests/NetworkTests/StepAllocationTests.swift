import AllocationCounter
import Kernels
import Network
import RunProtocol
import Testing

/// What a steady training step asks the allocator for, on one thread: the
/// optimizer nothing, and each layer of a dense block only the tensor it
/// hands on (see `Tests/AllocationCounter`).
struct StepAllocationTests {
    private static let depth = 6

    /// A dense residual network without norms that has taken two steps,
    /// so that every buffer it keeps exists, and its batch.
    private func warmNetwork() -> (ResNet, Optimizer, Tensor, [Int]) {
        let spec = ModelSpec(kind: .dense, inputShape: [2], classes: 3, depth: Self.depth, width: 16, norm: .none)
        let network = ResNet(spec: spec, seed: 4)
        let optimizer = Optimizer(settings: OptimizerSettings(kind: .sgd), parameters: network.parameters.map(\.parameter))
        var rng = SeededGenerator(seed: 4)
        let input = Tensor(shape: [32, 2], data: (0..<64).map { _ in rng.normal() })
        let labels = (0..<32).map { $0 % 3 }
        for _ in 0..<2 { step(network, optimizer, input, labels) }
        return (network, optimizer, input, labels)
    }

    private func step(_ network: ResNet, _ optimizer: Optimizer, _ input: Tensor, _ labels: [Int]) {
        network.zeroGradients()
        let logits = network.forward(input, modes: Array(repeating: .residual, count: Self.depth), training: true)
        network.accumulateGradients(softmaxCrossEntropy(logits: logits, labels: labels).gradient)
        optimizer.step(rate: 0.01)
    }

    @Test(arguments: [OptimizerKind.sgd, .adam])
    func anOptimizerStepAllocatesNothing(kind: OptimizerKind) {
        let (network, _, _, _) = warmNetwork()
        let optimizer = Optimizer(settings: OptimizerSettings(kind: kind), parameters: network.parameters.map(\.parameter))
        optimizer.step(rate: 0.01)
        let before = reslab_thread_allocations()
        optimizer.step(rate: 0.01)
        #expect(reslab_thread_allocations() - before == 0)
    }

    /// Per block and pass, two ReLU outputs and two linear outputs (or input
    /// gradients); the bias gradients, shapes and packing buffers are reused.
    @Test func aDenseBlockAllocatesOnlyTheTensorsItHandsOn() {
        let (network, optimizer, input, labels) = warmNetwork()
        let modes = [BlockMode](repeating: .residual, count: Self.depth)
        let start = reslab_thread_allocations()
        let logits = network.forward(input, modes: modes, training: true)
        let forward = reslab_thread_allocations() - start
        let gradient = softmaxCrossEntropy(logits: logits, labels: labels).gradient
        let middle = reslab_thread_allocations()
        network.accumulateGradients(gradient)
        let backward = reslab_thread_allocations() - middle
        optimizer.step(rate: 0.01)
        // The stem and the head add a few of their own.
        #expect(forward >= 4 * Self.depth && forward <= 4 * Self.depth + 6)
        #expect(backward >= 4 * Self.depth && backward <= 4 * Self.depth + 6)
    }

    /// A batch norm allocates its output and its input gradient, nothing
    /// more: its per-channel statistics live in arrays it keeps.
    @Test(arguments: [[32, 24], [24, 4, 5, 5]])
    func aBatchNormPassAllocatesOnlyItsResult(shape: [Int]) {
        let norm = BatchNorm(features: 24)
        var rng = SeededGenerator(seed: 9)
        let input = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.normal() })
        let gradient = Tensor(shape: shape, data: input.data.reversed())
        for _ in 0..<2 { _ = norm.backward(norm.forward(input, training: true)) }
        let start = reslab_thread_allocations()
        let output = norm.forward(input, training: true)
        let forward = reslab_thread_allocations() - start
        let middle = reslab_thread_allocations()
        let inputGradient = norm.backward(gradient)
        let backward = reslab_thread_allocations() - middle
        #expect(forward == 1 && backward == 1)
        #expect(output.count == input.count && inputGradient.count == input.count)
    }

    /// Norm → ReLU → convolution as one layer allocates one tensor less each
    /// way than the three separate layers: forward, the ReLU works in the
    /// norm's output; backward, the rebuilt activation takes the place of
    /// the ReLU's gradient and the norm's works in the convolution's.
    @Test func aPreActivatedConvolutionAllocatesOneTensorLessEachWay() {
        func counts(_ layer: any Layer) -> (forward: Int, backward: Int) {
            var rng = SeededGenerator(seed: 3)
            let input = Tensor(shape: [8, 4, 6, 6], data: (0..<1152).map { _ in rng.normal() })
            let gradient = Tensor(shape: [8, 4, 6, 6], data: input.data.reversed())
            return WorkerPool.withThreads(1) {
                for _ in 0..<2 { _ = layer.backward(layer.forward(input, training: true)) }
                let start = reslab_thread_allocations()
                _ = layer.forward(input, training: true)
                let middle = reslab_thread_allocations()
                _ = layer.backward(gradient)
                return (middle - start, reslab_thread_allocations() - middle)
            }
        }
        func convolution() -> Convolution { Convolution(inputs: 8, outputs: 8, kernel: 3, padding: 1) }
        let fused = counts(PreActivatedConvolution(norm: BatchNorm(features: 8), activation: .relu,
                                                   convolution: convolution(), index: 1))
        let separate = counts(Sequential([("norm", BatchNorm(features: 8)), ("act", Activation(.relu)),
                                          ("conv", convolution())]))
        #expect(fused.forward == separate.forward - 1 && fused.backward == separate.backward - 1,
                "fused \(fused), separate \(separate)")
    }
}
