import Kernels
import Network
import Testing

/// Gradients add up across backward passes until they are zeroed, though
/// zeroing only marks them and the first product afterwards overwrites.
struct ParameterTests {
    @Test func zeroedGradientsReadAsZerosAndTheNextAccumulationOverwrites() {
        let parameter = Parameter(shape: [3], value: [1, 2, 3])
        parameter.gradient = [4, 5, 6]
        parameter.zeroGradient()
        #expect(parameter.gradient == [0, 0, 0])
        parameter.gradient = [4, 5, 6]
        parameter.zeroGradient()
        parameter.accumulateGradient { gradient, existing in
            #expect(existing == 0)
            gradient = gradient.map { existing * $0 + 1 }
        }
        #expect(parameter.gradient == [1, 1, 1])
        parameter.accumulateGradient { gradient, existing in
            #expect(existing == 1)
            gradient = gradient.map { existing * $0 + 1 }
        }
        #expect(parameter.gradient == [2, 2, 2])
    }

    /// A shard's gradient added to a zeroed one must not pick up what the
    /// storage held before zeroing.
    @Test func addingToAZeroedGradientStartsFromZero() {
        let parameter = Parameter(shape: [3], value: [1, 2, 3])
        parameter.gradient = [4, 5, 6]
        parameter.addToGradient([1, 1, 1])
        #expect(parameter.gradient == [5, 6, 7])
        parameter.zeroGradient()
        parameter.addToGradient([1, 2, 3])
        #expect(parameter.gradient == [1, 2, 3])
    }

    @Test func linearGradientsAccumulateUntilZeroed() {
        var rng = SeededGenerator(seed: 31)
        let linear = Linear(inputs: 5, outputs: 4)
        linear.weight.value = (0..<20).map { _ in rng.normal() }
        let x = Tensor(shape: [3, 5], data: (0..<15).map { _ in rng.normal() })
        let dy = Tensor(shape: [3, 4], data: (0..<12).map { _ in rng.normal() })
        func pass() {
            _ = linear.forward(x, training: true)
            _ = linear.backward(dy)
        }
        linear.weight.zeroGradient()
        linear.bias.zeroGradient()
        pass()
        let once = linear.weight.gradient, bias = linear.bias.gradient
        #expect(once.contains { $0 != 0 })
        pass()
        #expect(zip(linear.weight.gradient, once).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
        #expect(zip(linear.bias.gradient, bias).allSatisfy { abs($0 - 2 * $1) <= 1e-5 * max(1, abs($1)) })
        linear.weight.zeroGradient()
        linear.bias.zeroGradient()
        pass()
        #expect(linear.weight.gradient == once && linear.bias.gradient == bias)
    }
}
