import ArgumentParser
import Foundation
import Lab

/// `reslab bench`: training throughput of the reference workloads, and GEMM speed.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training samples/s of the reference workloads (or GEMM GFLOP/s with --gemm, memory with --memory).")

    @Option(help: "Workloads to run (default: all).") var workload: [BenchmarkWorkload] = []
    @Flag(help: "Measure the GEMM kernel instead: square products, the shapes of mlp-spiral's products, and the products of conv-fashion's convolutions as a training step makes them.") var gemm = false
    @Flag(help: "Measure mlp-fashion at depths 10-80 and widths 64-512 instead.") var scaling = false
    @Flag(help: "Run the workloads beside one busy program per core, on 1 thread and on all, side by side.")
    var contention = false
    @Flag(help: "Measure the peak resident memory of `reslab train --dataset fashion-mnist --model conv` instead, run as a child process.")
    var memory = false
    @Option(help: "With --memory: the measured run's training steps (default: one epoch).") var steps: Int?
    @Option(help: "Blocks of the workloads' networks, instead of their own.") var depth: Int?
    @Option(help: "Width of the workloads' networks, instead of their own.") var width: Int?
    @Option(help: "Samples per step of the workloads, instead of their own (at least one per thread).") var batch: Int?
    @Option(help: "Threads.") var threads: Int = RunConfiguration().threads
    @Option(help: "Seconds to time each figure.") var seconds: Double = 3
    @Option(help: "Rounds in which every figure is timed in turn (--scaling, --contention) or just after the peak loop (otherwise); each figure is their median.")
    var rounds: Int = 5
    @Flag(help: "Print one JSON object per line.") var json = false

    /// Caps on the timing, so that a mistyped value is an error rather than
    /// a benchmark that never ends: an hour per figure, a thousand rounds.
    static let longestTiming: Double = 3600
    static let mostRounds = 1000

    func validate() throws {
        if let problem = RunConfiguration.threadsProblem(threads) { throw ValidationError(problem) }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive (got \(seconds))") }
        guard seconds <= Self.longestTiming else {
            throw ValidationError("--seconds \(seconds) is too long (at most \(Int(Self.longestTiming)))")
        }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1 (got \(rounds))") }
        guard rounds <= Self.mostRounds else {
            throw ValidationError("--rounds \(rounds) is too many (at most \(Self.mostRounds))")
        }
        for workload in BenchmarkWorkload.allCases {
            if let problem = workload.spec(depth: depth, width: width).problem { throw ValidationError(problem) }
        }
        guard [gemm, scaling, contention, memory].filter({ $0 }).count <= 1 else {
            throw ValidationError("--gemm, --scaling, --contention and --memory measure different things; pick one")
        }
        if memory && (!workload.isEmpty || depth != nil || width != nil) {
            throw ValidationError("--memory measures one run, conv-fashion's network at its own size: --workload, --depth and --width do not apply")
        }
        if let batch {
            guard !(gemm || scaling || contention || memory) else {
                throw ValidationError("--batch applies to the workloads' own timing only, not to --gemm, --scaling, --contention or --memory")
            }
            if let problem = Self.batchProblem(batch, threads: threads) { throw ValidationError(problem) }
            for workload in BenchmarkWorkload.allCases {
                let spec = workload.spec(depth: depth, width: width)
                if let problem = spec.memoryProblem(batchSize: batch, shards: threads, optimizerCopies: 1) {
                    throw ValidationError(problem)
                }
            }
        }
        if let steps {
            guard memory else { throw ValidationError("--steps applies to --memory only") }
            if let problem = RunConfiguration.stepsProblem(steps) { throw ValidationError(problem) }
        }
    }

    /// Why `batch` samples cannot make a benchmark's step on `threads`
    /// threads, if they cannot: each thread's shard needs a sample, and a
    /// dense network's batch norm needs two to normalise over.
    static func batchProblem(_ batch: Int, threads: Int) -> String? {
        if batch < max(2, threads) {
            return "--batch \(batch) is too small: a step takes at least 2 samples, and one per thread (--threads \(threads))"
        }
        return RunConfiguration.largeBatchProblem(batch)
    }

    func run() async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func name(_ result: BenchmarkResult) -> String {
            result.workload.padding(toLength: 14, withPad: " ", startingAt: 0) + "\(result.threads) threads  "
        }
        /// The figure's share of the peak, and where its CPUs sat, if measured.
        func shareAndPlacement(_ result: BenchmarkResult) -> String {
            let share = result.peakFraction.map { String(format: "  %3.0f %% of peak", $0 * 100) } ?? ""
            let placement = result.roundTripNanoseconds.map { nanoseconds in
                "  CPUs \(result.cpusSatFarApart == true ? "far apart" : "near each other") (round trip \(nanoseconds) ns)"
            } ?? ""
            return share + placement
        }
        func report(_ result: BenchmarkResult) {
            if json {
                print(String(decoding: (try? encoder.encode(result)) ?? Data(), as: UTF8.self))
            } else if let rate = result.samplesPerSecond {
                let sized = scaling || depth != nil || width != nil
                let size = (sized ? String(format: "depth %3d width %3d  ", result.depth ?? 0, result.width ?? 0) : "")
                    + (batch != nil ? String(format: "batch %5d  ", result.batch ?? 0) : "")
                print(name(result) + size + String(format: "%10.0f samples/s %7.1f GFLOP/s %8.2f ms/step",
                                                   rate, result.gflops ?? 0, result.millisecondsPerStep ?? 0)
                      + shareAndPlacement(result))
            } else if let kilobytes = result.peakResidentKilobytes {
                let command = PeakMemory.trainArguments(threads: threads, steps: steps).joined(separator: " ")
                print(name(result) + "\(kilobytes) kB peak resident (reslab \(command))")
            } else if let gflops = result.gflops {
                print(name(result) + String(format: "%7.1f GFLOP/s", gflops) + shareAndPlacement(result))
            }
        }
        let sizes: [(BenchmarkWorkload, Int?, Int?)] = scaling
            ? Benchmark.scalingSizes.map { (.mlpFashion, $0.depth, $0.width) }
            : gemm || memory ? [] : (workload.isEmpty ? BenchmarkWorkload.allCases : workload).map { ($0, depth, width) }
        for (workload, depth, width) in sizes {
            if let problem = Benchmark.problem(workload, depth: depth, width: width, batch: batch) {
                printError(problem)
                throw ExitCode.failure
            }
        }
        if memory {
            do {
                report(try PeakMemory.measure(threads: threads, steps: steps))
            } catch let failure as PeakMemory.RunFailed {
                printError(failure.description)
                throw ExitCode.failure
            }
        } else if scaling {
            Benchmark.scaling(seconds: seconds, threads: threads, rounds: rounds).forEach(report)
        } else if contention {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let neighbours = try BusyNeighbours(count: cores)
            defer { neighbours.stop() }
            if !json { print("beside \(cores) busy programs (one per core):") }
            let results = Benchmark.threadComparison(workload.isEmpty ? BenchmarkWorkload.allCases : workload,
                                                     threadCounts: [1, threads], seconds: seconds, rounds: rounds)
            for var result in results {
                result.busyNeighbours = cores
                report(result)
            }
        } else if gemm {
            Benchmark.productsAgainstPeak(seconds: seconds, threads: threads, rounds: rounds).forEach(report)
        } else {
            Benchmark.workloadsAgainstPeak(workload.isEmpty ? BenchmarkWorkload.allCases : workload, seconds: seconds,
                                           threads: threads, rounds: rounds, depth: depth, width: width,
                                           batch: batch).forEach(report)
        }
    }
}
