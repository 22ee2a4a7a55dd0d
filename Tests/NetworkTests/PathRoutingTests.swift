import Kernels
import Network
import RunProtocol
import Testing

struct PathRoutingTests {
    /// With linear branches, the network is a sum over its 2ⁿ paths, so the
    /// input gradients of all routed backward passes add up to the full one.
    @Test(arguments: [1, 2, 3, 4])
    func routedGradientsOfAllPathsSumToTheFullGradient(blocks n: Int) {
        var rng = SeededGenerator(seed: UInt64(n))
        let width = 5
        let chain = (0..<n).map { _ -> ResidualBlock in
            let linear = Linear(inputs: width, outputs: width)
            linear.weight.value = linear.weight.value.map { _ in 0.5 * rng.normal() }
            linear.bias.value = linear.bias.value.map { _ in 0.1 * rng.normal() }
            return ResidualBlock(branch: Sequential([("linear1", linear)]), shortcut: nil)
        }
        let input = Tensor(shape: [3, width], data: (0..<3 * width).map { _ in rng.normal() })
        _ = chain.reduce(input) { $1.forward($0, mode: .residual, training: true) }
        let upstream = Tensor(shape: [3, width], data: (0..<3 * width).map { _ in rng.normal() })

        let full = chain.reversed().reduce(upstream) { $1.backward($0) }
        var sum = Tensor(zeros: [3, width])
        for path in 0..<(1 << n) {
            var g = upstream
            for index in (0..<n).reversed() {
                g = chain[index].backward(g, route: path & (1 << index) != 0 ? .branch : .shortcut)
            }
            sum = sum + g
        }
        let error = zip(sum.data, full.data).map { abs($0 - $1) }.max()!
        #expect(error < 1e-4 * max(1, full.norm), "blocks \(n): \(error)")
        // And a single path is not the whole gradient.
        #expect(zip(chain.reversed().reduce(upstream) { $1.backward($0, route: .shortcut) }.data, full.data)
                .contains { abs($0 - $1) > 1e-3 })
    }

    @Test func reorderedForwardRunsTheBlocksInTheGivenOrder() {
        let spec = ModelSpec(kind: .dense, inputShape: [2], classes: 2, depth: 3, width: 4)
        let net = ResNet(spec: spec, seed: 4)
        let input = Tensor(shape: [2, 2], data: [0.3, -1, 2, 0.5])
        let modes = [BlockMode](repeating: .residual, count: 3)
        let identity = net.forward(input, modes: modes, training: false, order: [0, 1, 2])
        #expect(identity == net.forward(input, modes: modes, training: false))
        #expect(net.forward(input, modes: modes, training: false, order: [2, 1, 0]) != identity)
        #expect(net.interchangeableBlocks == [[0, 1, 2]])
        let conv = ResNet(spec: ModelSpec(kind: .conv, inputShape: [1, 8, 8], classes: 2, depth: 3, width: 2), seed: 1)
        #expect(conv.interchangeableBlocks == [[0, 1, 2], [4, 5], [7, 8]])
    }
}
