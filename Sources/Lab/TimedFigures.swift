import Datasets
import Kernels
import Network
import RunProtocol

/// Something `reslab bench` times for a few seconds at a time: a
/// workload's training step, or one matrix product.
protocol TimedFigure {
    /// The threads the work runs on.
    var threads: Int { get }
    /// One call of the work: a training step, or one product.
    func callOnce()
    /// The figure of `calls` calls in `seconds`.
    func result(calls: Int, seconds: Double) -> BenchmarkResult
}

extension TimedFigure {
    /// Calls the work for about `seconds` (at least three times), after one
    /// untimed call that brings its data back into the caches; returns the
    /// calls and the seconds.
    func time(seconds: Double) -> (calls: Int, seconds: Double) {
        WorkerPool.withThreads(threads) {
            callOnce()
            return Benchmark.repeatFor(seconds: seconds, callOnce)
        }
    }
}

/// One GEMM shape, `C = A·B` with random A and B, built once.
final class TimedProduct: TimedFigure {
    let name: String
    let m: Int, n: Int, k: Int
    let threads: Int
    private let a: [Float], b: [Float]
    private var c: [Float]

    init(name: String, m: Int, n: Int, k: Int, threads: Int) {
        (self.name, self.m, self.n, self.k, self.threads) = (name, m, n, k, threads)
        var rng = SeededGenerator(seed: 5)
        a = (0..<m * k).map { _ in rng.normal() }
        b = (0..<k * n).map { _ in rng.normal() }
        c = [Float](repeating: 0, count: m * n)
    }

    func callOnce() {
        gemm(.none, .none, m: m, n: n, k: k, a, lda: k, b, ldb: n, &c, ldc: n)
    }

    func result(calls: Int, seconds: Double) -> BenchmarkResult {
        BenchmarkResult(workload: name, threads: threads, samplesPerSecond: nil,
                        gflops: 2 * Double(m) * Double(n) * Double(k) * Double(calls) / seconds / 1e9, seconds: seconds)
    }
}

/// A workload's network and batch, built and warmed up, ready to be timed
/// for a few seconds at a time.
final class TimedTraining: TimedFigure {
    let workload: BenchmarkWorkload
    let spec: ModelSpec
    let threads: Int
    /// Samples per step: the workload's own batch, or the one asked for.
    let batchSize: Int
    private let trainer: Trainer
    private let samples: LabeledSamples
    private let modes: [BlockMode]
    /// The batch: the first samples, in order.
    private let batch: ArraySlice<Int>
    /// Floating-point operations of the matrix products of one step, as `sgemm` counts them.
    private(set) var operationsPerStep = 0.0

    init(_ workload: BenchmarkWorkload, threads: Int, depth: Int?, width: Int?, batch: Int? = nil) {
        let spec = workload.spec(depth: depth, width: width)
        var rng = SeededGenerator(seed: 99)
        let batch = batch ?? workload.batchSize
        let features = (0..<batch * spec.inputFeatures).map { _ in rng.normal() }
        let labels = (0..<batch).map { _ in rng.index(below: spec.classes) }
        (self.workload, self.spec, self.threads, batchSize) = (workload, spec, threads, batch)
        samples = LabeledSamples(storage: .floats(features), labels: labels, featureCount: spec.inputFeatures)
        trainer = Trainer(spec: spec, optimizer: OptimizerSettings(kind: .sgd, nesterov: false), seed: 1,
                          threads: threads)
        modes = Array(repeating: BlockMode.residual, count: spec.blockCount)
        self.batch = Array(0..<batch)[...]
        operationsPerStep = WorkerPool.withThreads(threads) {
            for _ in 0..<2 { callOnce() }
            let before = productOperations.load(ordering: .relaxed)
            callOnce()
            return Double(productOperations.load(ordering: .relaxed) - before)
        }
    }

    /// One full step. The learning rate is zero, so every step does all of
    /// a step's arithmetic on the same weights: a rate that made the loss
    /// diverge would leave every later step without its backward pass
    /// (`mlp-spiral`, which has no norm, did so at 0.01 after one step).
    func callOnce() {
        lastLoss = trainer.step(on: samples, indices: batch, modes: modes, rate: 0).loss
    }

    /// The loss of the latest step: while it is finite, steps run backward too.
    private(set) var lastLoss: Float = 0

    func result(calls steps: Int, seconds: Double) -> BenchmarkResult {
        var result = BenchmarkResult(workload: workload.rawValue, threads: threads,
                                     samplesPerSecond: Double(steps * batchSize) / seconds,
                                     gflops: operationsPerStep * Double(steps) / seconds / 1e9, seconds: seconds)
        result.depth = spec.depth
        result.width = spec.width
        result.batch = batchSize
        result.millisecondsPerStep = seconds / Double(steps) * 1000
        result.usefulGflops = Double(steps * batchSize) * spec.trainingOperationsPerSample / seconds / 1e9
        return result
    }
}

/// A convolution's three matrix products on one group of images per
/// thread, each thread its own group, as the shares of a training step run
/// them (see `ConvolutionProducts`).
final class TimedConvolutionProducts: TimedFigure, ChunkedWork {
    let name: String
    let threads: Int
    private let groups: [ConvolutionProducts]

    init(name: String, channels: Int, size: Int, batch: Int, threads: Int) {
        (self.name, self.threads) = (name, threads)
        groups = (0..<threads).map { share in
            ConvolutionProducts(channels: channels, size: size, batch: batch, shares: threads, seed: UInt64(share + 7))
        }
    }

    func callOnce() { WorkerPool.shared.forEachChunk(of: groups.count, self) }

    func run(_ shares: Range<Int>) {
        for share in shares { groups[share].run() }
    }

    func result(calls: Int, seconds: Double) -> BenchmarkResult {
        func rate(_ operations: Int) -> Double { Double(operations * groups.count * calls) / seconds / 1e9 }
        var result = BenchmarkResult(workload: name, threads: threads, samplesPerSecond: nil,
                                     gflops: rate(groups[0].operations), seconds: seconds)
        result.usefulGflops = rate(groups[0].usefulOperations)
        return result
    }
}
