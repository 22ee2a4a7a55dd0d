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
    /// The network's depth and width, and the samples of a step (workloads).
    public var depth: Int?
    public var width: Int?
    public var batch: Int?
    /// Milliseconds per training step (workloads).
    public var millisecondsPerStep: Double?
    /// Billions per second of the operations a step needs (workloads):
    /// `ModelSpec.trainingOperationsPerSample`, without the kernels' padding.
    public var usefulGflops: Double?
    /// GFLOP/s (GEMM) or useful GFLOP/s (workloads) as a fraction of
    /// `peakGflops`.
    public var peakFraction: Double?
    /// The arithmetic peak measured just before this figure, in the same round.
    public var peakGflops: Double?
    /// On two threads or more, the round trip between two of the pool's
    /// CPUs measured just before this figure's round (`CorePlacement`): it
    /// tells whether the host had placed them near each other or far apart.
    public var roundTripNanoseconds: Int?
    /// Busy programs that ran beside the measurement (`--contention`).
    public var busyNeighbours: Int?
    /// The peak resident memory of a training run, in kB (`--memory`).
    public var peakResidentKilobytes: Int?

    enum CodingKeys: String, CodingKey {
        case kind, workload, threads, seconds, gflops, depth, width, batch
        case samplesPerSecond = "samples_per_s"
        case millisecondsPerStep = "ms_per_step"
        case usefulGflops = "useful_gflops"
        case peakFraction = "peak_fraction"
        case peakGflops = "peak_gflops"
        case roundTripNanoseconds = "round_trip_ns"
        case busyNeighbours = "busy_neighbours"
        case peakResidentKilobytes = "peak_resident_kb"
    }
}

extension BenchmarkResult {
    /// Whether the figure's round found the CPUs far apart; nil if not measured.
    public var cpusSatFarApart: Bool? {
        roundTripNanoseconds.map(CorePlacement.farApart)
    }

    /// A memory figure: the peak resident size of a training run of
    /// `workload`'s network, and the run's wall time.
    public init(peakMemoryOf workload: BenchmarkWorkload, threads: Int, seconds: Double, kilobytes: Int) {
        self.init(workload: workload.rawValue, threads: threads, samplesPerSecond: nil, gflops: nil, seconds: seconds)
        peakResidentKilobytes = kilobytes
    }
}

/// Times the workloads and the GEMM kernel.
public enum Benchmark {
    /// The workloads' training steps, each timed beside the peak loop
    /// (`againstPeak`): the peak's figure first, then each workload's, whose
    /// share of the peak counts only the arithmetic a step needs, not the
    /// kernels' padding. `depth` and `width`, if given, replace the workloads' own.
    public static func workloadsAgainstPeak(_ workloads: [BenchmarkWorkload], seconds: Double, threads: Int,
                                            rounds: Int, depth: Int? = nil, width: Int? = nil,
                                            batch: Int? = nil) -> [BenchmarkResult] {
        againstPeak(workloads.map { TimedTraining($0, threads: threads, depth: depth, width: width, batch: batch) },
                    seconds: seconds, threads: threads, rounds: rounds)
    }

    /// The GEMM shapes of `gemmShapes`, each timed beside the peak loop
    /// (`againstPeak`): the peak's figure first, then each product's.
    public static func productsAgainstPeak(seconds: Double, threads: Int, rounds: Int) -> [BenchmarkResult] {
        let products: [any TimedFigure] = gemmShapes.map { TimedProduct(name: $0.name, m: $0.m, n: $0.n, k: $0.k, threads: threads) }
        let convolutions: [any TimedFigure] = convolutionStages.map {
            TimedConvolutionProducts(name: $0.name, channels: $0.channels, size: $0.size,
                                     batch: BenchmarkWorkload.convFashion.batchSize, threads: threads)
        }
        return againstPeak(products + convolutions, seconds: seconds, threads: threads, rounds: rounds)
    }

    /// Times each figure beside the arithmetic peak. The host moves this
    /// machine's speed by half from one hour to the next, and by more within
    /// a minute, so a peak measured once would judge later figures against
    /// another machine. Instead, in each of `rounds` rounds, the peak loop
    /// runs for half of a figure's share of `seconds`, then the figure for
    /// its share, and a round's share of the peak compares two timings a
    /// moment apart. Each figure reports the round whose share is the median,
    /// with that round's peak (`peakGflops`); the peak's own figure is the
    /// median of all its timings.
    private static func againstPeak(_ figures: [any TimedFigure], seconds: Double, threads: Int,
                                    rounds: Int) -> [BenchmarkResult] {
        precondition(!figures.isEmpty && rounds >= 1, "nothing to time")
        let share = seconds / Double(rounds)
        var peaks: [Double] = []
        let results = figures.map { figure in
            let timed = (0..<rounds).map { _ in
                if threads > 1 { CorePlacement.shared.measure() }
                let peak = WorkerPool.withThreads(threads) { arithmeticPeak(seconds: share / 2) }
                let (calls, elapsed) = figure.time(seconds: share)
                var result = figure.result(calls: calls, seconds: elapsed)
                result.peakGflops = peak
                result.peakFraction = (result.usefulGflops ?? result.gflops ?? 0) / peak
                if threads > 1 { result.roundTripNanoseconds = CorePlacement.shared.roundTrip }
                return result
            }
            peaks += timed.compactMap(\.peakGflops)
            return timed.sorted { $0.peakFraction ?? 0 < $1.peakFraction ?? 0 }[rounds / 2]
        }
        let peak = peaks.sorted()[peaks.count / 2]
        let peakResult = BenchmarkResult(workload: "fma-peak", threads: threads, samplesPerSecond: nil, gflops: peak,
                                         seconds: share / 2 * Double(peaks.count))
        return [peakResult] + results
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
        var timings = [[(calls: Int, seconds: Double)]](repeating: [], count: runs.count)
        for _ in 0..<rounds {
            for (index, run) in runs.enumerated() { timings[index].append(run.time(seconds: seconds / Double(rounds))) }
        }
        return zip(runs, timings).map { run, rounds in
            let median = rounds.sorted { $0.seconds / Double($0.calls) < $1.seconds / Double($1.calls) }[rounds.count / 2]
            return run.result(calls: median.calls, seconds: median.seconds)
        }
    }

    /// The GEMM shapes of `reslab bench --gemm`: three cubes, the shape of
    /// the first conv-fashion stage (M=32, N=64·28·28, K=32·9), and the
    /// shapes of an `mlp-spiral` shard's products (128 rows of width 32):
    /// forward and input gradient, 128×32 of depth 32, and weight gradient,
    /// 32×32 of depth 128, here all untransposed. A training step runs those
    /// whole, one shard to a thread, so their one-thread figures show how
    /// close to the peak the small step's arithmetic itself can run.
    public static let gemmShapes: [(name: String, m: Int, n: Int, k: Int)] = [
        ("gemm-128", 128, 128, 128), ("gemm-256", 256, 256, 256), ("gemm-1024", 1024, 1024, 1024),
        ("gemm-conv", 32, 50176, 288), ("gemm-dense", 128, 32, 32), ("gemm-dense-dw", 32, 32, 128),
    ]

    /// The stages of `conv-fashion` (channels and image size), whose
    /// convolutions' products `reslab bench --gemm` times as a training step
    /// makes them: a group of images per thread, read through shifted planes.
    public static let convolutionStages: [(name: String, channels: Int, size: Int)] = [
        ("conv-28x28x16", 16, 28), ("conv-14x14x32", 32, 14), ("conv-7x7x64", 64, 7),
    ]

    /// Why `workload` at this size cannot be timed, if it cannot: a loss
    /// that is not finite on the benchmark's batch would leave every step
    /// without its backward pass.
    public static func problem(_ workload: BenchmarkWorkload, depth: Int? = nil, width: Int? = nil,
                               batch: Int? = nil) -> String? {
        let run = TimedTraining(workload, threads: 1, depth: depth, width: width, batch: batch)
        guard !run.lastLoss.isFinite else { return nil }
        return "\(workload.rawValue) at depth \(run.spec.depth), width \(run.spec.width): the loss on the benchmark's "
            + "batch is \(run.lastLoss), so its steps would skip the backward pass; choose a smaller --depth or --width"
    }

    /// GFLOP/s of a register-only loop of fused multiply-adds on every
    /// thread of the pool at once, for about `seconds`: the arithmetic peak
    /// that the figures are judged against.
    private static func arithmeticPeak(seconds: Double) -> Double {
        let threads = WorkerPool.shared.threads
        let iterations = 1 << 20
        var sink: Float = 0
        let (calls, elapsed) = repeatFor(seconds: seconds) {
            sink += fusedMultiplyAddLoopOnEveryThread(iterations: iterations)
        }
        precondition(sink.isFinite, "the peak loop must stay finite")
        return Double(calls * threads * iterations * fusedMultiplyAddLoopOperations) / elapsed / 1e9
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
