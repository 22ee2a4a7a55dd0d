import Lab
import Testing

struct BenchmarkTests {
    /// The GFLOP/s figure counts exactly the matrix products of one training
    /// step: per sample, forward, weight gradient and input gradient of each
    /// linear layer, except the stem's input gradient, which training skips.
    @Test func workloadArithmeticIsTheTrainingStepsMatrixProducts() {
        let (depth, width, batch) = (2, 8, BenchmarkWorkload.mlpFashion.batchSize)
        let result = Benchmark.run(.mlpFashion, seconds: 0.01, threads: 1, depth: depth, width: width)
        let stem = 784 * width, blocks = 2 * depth * width * width, head = width * 10
        let expected = Double(2 * batch * (3 * (stem + blocks + head) - stem))
        let measured = (result.gflops ?? 0) * 1e9 * (result.millisecondsPerStep ?? 0) / 1000
        #expect(abs(measured - expected) <= 1e-6 * expected, "\(measured) vs \(expected)")
        #expect(result.depth == depth && result.width == width)
    }
}
