import Foundation
import Lab

/// The peak resident memory of a training run, measured as
/// `/usr/bin/time -f %M` measures it: the run is a child process (this
/// executable running `reslab train`), and once it has exited, the largest
/// resident size among the children this process has waited for
/// (`getrusage(RUSAGE_CHILDREN)`) is its peak. So the run must be this
/// process's only child.
enum PeakMemory {
    /// The run the memory target is judged on: one epoch of the
    /// convolutional network (`conv-fashion`'s) on Fashion-MNIST.
    static let workload = BenchmarkWorkload.convFashion
    /// The measured run's arguments, as the report prints them.
    static func trainArguments(threads: Int, steps: Int?) -> [String] {
        ["train", "--dataset", "fashion-mnist", "--model", "conv", "--threads", "\(threads)"]
            + (steps.map { ["--steps", "\($0)"] } ?? [])
    }

    /// A run that failed: the last line it wrote to its standard error.
    struct RunFailed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `reslab train` on `threads` threads (for `steps` steps, or one
    /// epoch) and returns its peak resident memory and its wall time.
    static func measure(threads: Int, steps: Int?) throws -> BenchmarkResult {
        let process = Process()
        process.executableURL = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = trainArguments(threads: threads, steps: steps)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let start = Date()
        try process.run()
        // Read to the end before waiting, so that a full pipe cannot stall the run.
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        guard process.terminationReason == .exit && process.terminationStatus == 0 else {
            // The error's own line, not the usage lines after it.
            let lines = message.split(separator: "\n").map(String.init)
            let line = lines.first { $0.lowercased().hasPrefix("error: ") } ?? lines.last
            let reason = line.map { $0.lowercased().hasPrefix("error: ") ? String($0.dropFirst("error: ".count)) : $0 }
                ?? "exit status \(process.terminationStatus)"
            throw RunFailed(description: "the measured run (reslab \(process.arguments!.joined(separator: " "))) failed: \(reason)")
        }
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        return BenchmarkResult(peakMemoryOf: workload, threads: threads, seconds: seconds, kilobytes: usage.ru_maxrss)
    }
}
