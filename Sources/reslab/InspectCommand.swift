import ArgumentParser
import Foundation
import Kernels
import Lab
import Network
import RunProtocol

/// `reslab inspect`: one batch through a trained network, forward and
/// backward, reported without changing a weight.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Loss, accuracy and per-block gradients of a checkpoint on one batch, without training.")

    @Option(help: "The trained network (a checkpoint written by --save).") var load: String
    @Option(parsing: .unconditional, help: "Samples in the batch. (default: the checkpoint's batch size)") var batch: Int?
    @Option(parsing: .unconditional, help: "Seed of the batch drawn, as training with this seed draws its first. (default: the checkpoint's)")
    var seed: UInt64?
    @Flag(help: "Use the whole validation split instead of one training batch.") var validation = false
    @Option(help: "Directory with the dataset's files, if not where the checkpoint says.") var data: String?
    @Option(parsing: .unconditional, help: "Threads. (default: all cores)") var threads: Int?
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func validate() throws {
        if let threads, let problem = RunConfiguration.threadsProblem(threads) { throw ValidationError(problem) }
        if validation && batch != nil { throw ValidationError("--validation uses the whole split; drop --batch") }
    }

    func run() throws {
        let result: InspectionResult
        do {
            let loaded = try LoadedNetwork(checkpoint: try Checkpoint.load(URL(fileURLWithPath: load)), dataPath: data, threads: threads)
            result = try WorkerPool.withThreads(loaded.configuration.threads) {
                try loaded.inspect(batch: batch, seed: seed, validation: validation)
            }
        } catch let error as CheckpointError {
            printError(error.description)
            throw ExitCode.failure
        } catch let error as RunError {
            printError(error.description)
            throw ExitCode.failure
        }
        ExperimentOutput(json: json).emit(result) {
            var lines = [String(format: "%@ batch of %d: loss %.4f  accuracy %.1f %%", result.split, result.indices.count,
                                result.loss, 100 * result.accuracy),
                         "block  mode      ‖∂L/∂W‖    ‖∂L/∂x‖    ‖F‖/‖S‖"]
            for index in result.gradientNorms.indices {
                let ratio = result.branchRatios[index].map { String(format: "%9.3g", $0) } ?? "        –"
                lines.append(String(format: "%5d  %-8@ %9.3e  %9.3e  ", index + 1, result.blockModes[index].rawValue as NSString,
                                    result.gradientNorms[index], result.inputGradientNorms[index]) + ratio)
            }
            lines.append("samples: " + result.indices.prefix(12).map(String.init).joined(separator: " ")
                         + (result.indices.count > 12 ? " … (all of them with --json)" : ""))
            return lines
        }
    }
}
