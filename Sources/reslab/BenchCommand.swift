import ArgumentParser
import Foundation
import Lab

/// `reslab bench`: training throughput of the reference workloads, and GEMM speed.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure training samples/s of the reference workloads (or GEMM GFLOP/s with --gemm).")

    @Option(help: "Workloads to run (default: all).") var workload: [BenchmarkWorkload] = []
    @Flag(help: "Measure the GEMM kernel instead.") var gemm = false
    @Option(help: "Threads.") var threads: Int = RunConfiguration().threads
    @Option(help: "Seconds to time each figure.") var seconds: Double = 3
    @Flag(help: "Print one JSON object per line.") var json = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1 (got \(threads))") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive (got \(seconds))") }
    }

    func run() async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func name(_ result: BenchmarkResult) -> String {
            result.workload.padding(toLength: 14, withPad: " ", startingAt: 0) + "\(result.threads) threads  "
        }
        func report(_ result: BenchmarkResult) {
            if json {
                print(String(decoding: (try? encoder.encode(result)) ?? Data(), as: UTF8.self))
            } else if let gflops = result.gflops {
                print(name(result) + String(format: "%7.1f GFLOP/s", gflops))
            } else if let rate = result.samplesPerSecond {
                print(name(result) + String(format: "%10.0f samples/s", rate))
            }
        }
        if gemm {
            for shape in Benchmark.gemmShapes {
                report(Benchmark.gemm(name: shape.name, m: shape.m, n: shape.n, k: shape.k, seconds: seconds, threads: threads))
            }
        } else {
            for workload in workload.isEmpty ? BenchmarkWorkload.allCases : workload {
                report(Benchmark.run(workload, seconds: seconds, threads: threads))
            }
        }
    }
}
