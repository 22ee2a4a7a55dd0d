import Datasets
import Foundation
import Kernels
import Network
import RunProtocol

/// The reference training workloads of `reslab bench`: full SGD-momentum
/// steps (forward, backward, update) on random inputs.
public enum BenchmarkWorkload: String, CaseIterable, Codable, Sendable {
    case mlpSpiral = "mlp-spiral"
    case mlpFashion = "mlp-fashion"
    case convFashion = "conv-fashion"

    /// The workload's network, at `depth` and `width` if given instead of its own.
    public func spec(depth: Int? = nil, width: Int? = nil) -> ModelSpec {
        var spec = ownSpec
        spec.depth = depth ?? spec.depth
        spec.width = width ?? spec.width
        return spec
    }

    private var ownSpec: ModelSpec {
        switch self {
        case .mlpSpiral:
            return ModelSpec(kind: .dense, inputShape: [2], classes: 3, depth: 30, width: 32, norm: .none)
        case .mlpFashion:
            return ModelSpec(kind: .dense, inputShape: [784], classes: 10, depth: 20, width: 128)
        case .convFashion:
            return ModelSpec(kind: .conv, inputShape: [1, 28, 28], classes: 10, depth: 3, width: 16)
        }
    }

    public var batchSize: Int {
        switch self {
        case .mlpSpiral: return 256
        case .mlpFashion: return 128
        case .convFashion: return 64
        }
    }
}

/// One measured figure.
public struct BenchmarkResult: Codable, Sendable {
    public var kind = "bench"
    public let workload: String
    public let threads: Int
    /// Training samples per second (workloads; nil for GEMM).
    public let samplesPerSecond: Double?
    /// Billions of floating-point operations per second: of the matrix
    /// products a training step runs (workloads), or of the product (GEMM).
    public let gflops: Double?
    public let seconds: Double
    /// The network's depth and width (workloads).
    public var depth: Int?
    public var width: Int?
    /// Milliseconds per training step (workloads).
    public var millisecondsPerStep: Double?
    /// Billions per second of the operations a step needs (workloads):
    /// `ModelSpec.trainingOperationsPerSample`, without the kernels' padding.
    public var usefulGflops: Double?
    /// GFLOP/s (GEMM) or useful GFLOP/s (workloads) as a fraction of the
    /// arithmetic peak measured in the same run.
    public var peakFraction: Double?
    /// Busy programs that ran beside the measurement (`--contention`).
    public var busyNeighbours: Int?

    enum CodingKeys: String, CodingKey {
        case kind, workload, threads, seconds, gflops, depth, width
        case samplesPerSecond = "samples_per_s"
        case millisecondsPerStep = "ms_per_step"
        case usefulGflops = "useful_gflops"
        case peakFraction = "peak_fraction"
        case busyNeighbours = "busy_neighbours"
    }
}

/// Times the workloads and the GEMM kernel.
public enum Benchmark {
    /// Trains `workload` on random data for about `seconds` after a warm-up.
    /// `depth` and `width`, if given, replace the workload's own.
    public static func run(_ workload: BenchmarkWorkload, seconds: Double, threads: Int,
                           depth: Int? = nil, width: Int? = nil) -> BenchmarkResult {
        let run = TimedTraining(workload, threads: threads, depth: depth, width: width)
        let (steps, elapsed) = run.time(seconds: seconds)
        return run.result(steps: steps, seconds: elapsed)
    }

    /// The sizes of `reslab bench --scaling`: `mlp-fashion` at four depths
    /// (its own width), then at four widths (its own depth).
    public static let scalingSizes: [(depth: Int?, width: Int?)] =
        [10, 20, 40, 80].map { (depth: $0, width: nil) } + [64, 128, 256, 512].map { (depth: nil, width: $0) }

    /// `mlp-fashion` at every scaling size, timed side by side: `rounds`
    /// rounds, each timing every size for its share of `seconds`, so that the
    /// machine's slow spells fall on all sizes alike. Each figure is the
    /// median of its rounds.
    public static func scaling(seconds: Double, threads: Int, rounds: Int) -> [BenchmarkResult] {
        sideBySide(scalingSizes.map { TimedTraining(.mlpFashion, threads: threads, depth: $0.depth, width: $0.width) },
                   seconds: seconds, rounds: rounds)
    }

    /// Every workload on each of `threadCounts` threads, timed side by side
    /// in `rounds` rounds (medians): `reslab bench --contention` runs it
    /// beside busy programs, to see whether more threads still help.
    public static func threadComparison(_ workloads: [BenchmarkWorkload], threadCounts: [Int], seconds: Double,
                                        rounds: Int) -> [BenchmarkResult] {
        sideBySide(workloads.flatMap { workload in
            threadCounts.map { TimedTraining(workload, threads: $0, depth: nil, width: nil) }
        }, seconds: seconds, rounds: rounds)
    }

    /// Times `runs` in `rounds` rounds, each run for its share of `seconds`
    /// in every round, so that the machine's slow spells fall on all of them
    /// alike. Each figure is the median of its rounds.
    private static func sideBySide(_ runs: [TimedTraining], seconds: Double, rounds: Int) -> [BenchmarkResult] {
        var timings = [[(steps: Int, seconds: Double)]](repeating: [], count: runs.count)
        for _ in 0..<rounds {
            for (index, run) in runs.enumerated() { timings[index].append(run.time(seconds: seconds / Double(rounds))) }
        }
        return zip(runs, timings).map { run, rounds in
            let median = rounds.sorted { $0.seconds / Double($0.steps) < $1.seconds / Double($1.steps) }[rounds.count / 2]
            return run.result(steps: median.steps, seconds: median.seconds)
        }
    }

    /// The GEMM shapes of `reslab bench --gemm`: three cubes and the shape of
    /// the first conv-fashion stage (M=32, N=64·28·28, K=32·9).
    public static let gemmShapes: [(name: String, m: Int, n: Int, k: Int)] = [
        ("gemm-128", 128, 128, 128), ("gemm-256", 256, 256, 256), ("gemm-1024", 1024, 1024, 1024),
        ("gemm-conv", 32, 50176, 288),
    ]

    /// Why `workload` at this size cannot be timed, if it cannot: a loss
    /// that is not finite on the benchmark's batch would leave every step
    /// without its backward pass.
    public static func problem(_ workload: BenchmarkWorkload, depth: Int? = nil, width: Int? = nil) -> String? {
        let run = TimedTraining(workload, threads: 1, depth: depth, width: width)
        guard !run.lastLoss.isFinite else { return nil }
        return "\(workload.rawValue) at depth \(run.spec.depth), width \(run.spec.width): the loss on the benchmark's "
            + "batch is \(run.lastLoss), so its steps would skip the backward pass; choose a smaller --depth or --width"
    }

    /// GFLOP/s of `C = A·B` for one shape.
    public static func gemm(name: String, m: Int, n: Int, k: Int, seconds: Double, threads: Int) -> BenchmarkResult {
        WorkerPool.withThreads(threads) { gemm(name: name, m: m, n: n, k: k, seconds: seconds) }
    }

    private static func gemm(name: String, m: Int, n: Int, k: Int, seconds: Double) -> BenchmarkResult {
        let threads = WorkerPool.shared.threads
        var rng = SeededGenerator(seed: 5)
        let a = (0..<m * k).map { _ in rng.normal() }, b = (0..<k * n).map { _ in rng.normal() }
        var c = [Float](repeating: 0, count: m * n)
        Kernels.gemm(.none, .none, m: m, n: n, k: k, a, lda: k, b, ldb: n, &c, ldc: n)
        let (calls, elapsed) = repeatFor(seconds: seconds) {
            Kernels.gemm(.none, .none, m: m, n: n, k: k, a, lda: k, b, ldb: n, &c, ldc: n)
        }
        return BenchmarkResult(workload: name, threads: threads, samplesPerSecond: nil,
                               gflops: 2 * Double(m) * Double(n) * Double(k) * Double(calls) / elapsed / 1e9,
                               seconds: elapsed)
    }

    /// GFLOP/s of a register-only loop of fused multiply-adds on every
    /// thread at once: the arithmetic peak the GEMM figures are judged against.
    public static func arithmeticPeak(seconds: Double, threads: Int) -> BenchmarkResult {
        WorkerPool.withThreads(threads) { arithmeticPeak(seconds: seconds) }
    }

    private static func arithmeticPeak(seconds: Double) -> BenchmarkResult {
        let threads = WorkerPool.shared.threads
        let iterations = 1 << 20
        var sink: Float = 0
        let (calls, elapsed) = repeatFor(seconds: seconds) {
            sink += fusedMultiplyAddLoopOnEveryThread(iterations: iterations)
        }
        precondition(sink.isFinite, "the peak loop must stay finite")
        let operations = Double(calls * threads * iterations * fusedMultiplyAddLoopOperations)
        return BenchmarkResult(workload: "fma-peak", threads: threads, samplesPerSecond: nil,
                               gflops: operations / elapsed / 1e9, seconds: elapsed)
    }

    /// Calls `body` until `seconds` have passed (at least three times);
    /// returns the count and the elapsed seconds.
    static func repeatFor(seconds: Double, _ body: () -> Void) -> (Int, Double) {
        let clock = ContinuousClock()
        let start = clock.now
        var count = 0
        var elapsed = 0.0
        repeat {
            body()
            count += 1
            elapsed = (clock.now - start).seconds
        } while elapsed < seconds || count < 3
        return (count, elapsed)
    }
}

/// A workload's network and batch, built and warmed up, ready to be timed
/// for a few seconds at a time.
private final class TimedTraining {
    let workload: BenchmarkWorkload
    let spec: ModelSpec
    let threads: Int
    private let trainer: Trainer
    private let samples: LabeledSamples
    private let modes: [BlockMode]
    /// The batch: the first samples, in order.
    private let batch: ArraySlice<Int>
    /// Floating-point operations of the matrix products of one step, as `sgemm` counts them.
    private(set) var operationsPerStep = 0.0

    init(_ workload: BenchmarkWorkload, threads: Int, depth: Int?, width: Int?) {
        let spec = workload.spec(depth: depth, width: width)
        var rng = SeededGenerator(seed: 99)
        let batch = workload.batchSize
        let features = (0..<batch * spec.inputFeatures).map { _ in rng.normal() }
        let labels = (0..<batch).map { _ in rng.index(below: spec.classes) }
        (self.workload, self.spec, self.threads) = (workload, spec, threads)
        samples = LabeledSamples(storage: .floats(features), labels: labels, featureCount: spec.inputFeatures)
        trainer = Trainer(spec: spec, optimizer: OptimizerSettings(kind: .sgd, nesterov: false), seed: 1,
                          threads: threads)
        modes = Array(repeating: BlockMode.residual, count: spec.blockCount)
        self.batch = Array(0..<batch)[...]
        operationsPerStep = WorkerPool.withThreads(threads) {
            for _ in 0..<2 { step() }
            let before = gemmOperations.load(ordering: .relaxed)
            step()
            return Double(gemmOperations.load(ordering: .relaxed) - before)
        }
    }

    /// One full step. The learning rate is zero, so every step does all of
    /// a step's arithmetic on the same weights: a rate that made the loss
    /// diverge would leave every later step without its backward pass
    /// (`mlp-spiral`, which has no norm, did so at 0.01 after one step).
    private func step() {
        lastLoss = trainer.step(on: samples, indices: batch, modes: modes, rate: 0).loss
    }

    /// The loss of the latest step: while it is finite, steps run backward too.
    private(set) var lastLoss: Float = 0

    /// Steps for about `seconds`, after one untimed step that brings the
    /// network back into the caches; returns the steps and the seconds.
    func time(seconds: Double) -> (steps: Int, seconds: Double) {
        WorkerPool.withThreads(threads) {
            step()
            return Benchmark.repeatFor(seconds: seconds, step)
        }
    }

    func result(steps: Int, seconds: Double) -> BenchmarkResult {
        var result = BenchmarkResult(workload: workload.rawValue, threads: threads,
                                     samplesPerSecond: Double(steps * workload.batchSize) / seconds,
                                     gflops: operationsPerStep * Double(steps) / seconds / 1e9, seconds: seconds)
        result.depth = spec.depth
        result.width = spec.width
        result.millisecondsPerStep = seconds / Double(steps) * 1000
        result.usefulGflops = Double(steps * workload.batchSize) * spec.trainingOperationsPerSample / seconds / 1e9
        return result
    }
}
