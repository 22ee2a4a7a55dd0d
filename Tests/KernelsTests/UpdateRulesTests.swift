import Testing
import Kernels

/// The optimizers' update rules store the same weights whether they store
/// them streaming or not: the store only changes where the lines go.
struct UpdateRulesTests {
    /// Lengths with no whole vector, one, a partial one after whole ones,
    /// and one long enough (`parallelThreshold`) to be split between threads.
    static let counts = [1, 15, 16, 17, 47, 1_000, 40_000]

    /// Streaming stores need 64-byte boundaries, so the update first stores
    /// the elements before one. Weights are copied into several arrays
    /// allocated one after another, which start at different offsets from a
    /// boundary, and some must start off one.
    @Test func sgdAndAdamStoreTheSameWeightsStreaming() {
        var rng = SeededGenerator(seed: 5)
        var offsets = Set<Int>()
        for count in Self.counts {
            let weights = randomArray(count, &rng), gradient = randomArray(count, &rng)
            let velocity = randomArray(count, &rng)
            let copies = (0..<4).map { _ in weights.map { $0 } }
            for copy in copies {
                offsets.insert(copy.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress!) % 64 })
                for (nesterov, first) in [(true, false), (false, false), (true, true)] {
                    #expect(sgdUpdated(copy, gradient, velocity, nesterov: nesterov, first: first, streaming: true)
                        == sgdUpdated(weights, gradient, velocity, nesterov: nesterov, first: first, streaming: false))
                }
                #expect(adamUpdated(copy, gradient, streaming: true) == adamUpdated(weights, gradient, streaming: false))
            }
            #expect(sgdUpdated(weights, gradient, velocity, nesterov: true, first: false, streaming: true) != weights + velocity,
                    "the update must change the weights")
        }
        #expect(offsets.contains { $0 != 0 }, "no array started off a 64-byte boundary: offsets \(offsets)")
    }

    /// The weights and velocity after one SGD step on two threads, one after the other.
    private func sgdUpdated(_ weights: [Float], _ gradient: [Float], _ velocity: [Float],
                            nesterov: Bool, first: Bool, streaming: Bool) -> [Float] {
        var w = weights, v = velocity
        WorkerPool.withThreads(2) {
            sgdUpdate(&w, gradient: gradient, velocity: &v, rate: 0.1, momentum: 0.9, decay: 5e-4,
                      nesterov: nesterov, first: first, streamingWeights: streaming)
        }
        return w + v
    }

    /// The weights and both moments after one Adam step on two threads.
    private func adamUpdated(_ weights: [Float], _ gradient: [Float], streaming: Bool) -> [Float] {
        var w = weights, m = gradient, v = gradient.map { $0 * $0 }
        WorkerPool.withThreads(2) {
            adamUpdate(&w, gradient: gradient, firstMoment: &m, secondMoment: &v, rate: 1e-3, betas: (0.9, 0.999),
                       epsilon: 1e-8, decay: 5e-4, corrections: (0.1, 0.001), streamingWeights: streaming)
        }
        return w + m + v
    }
}
