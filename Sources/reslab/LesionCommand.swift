import ArgumentParser
import Figures
import Foundation
import Kernels
import Lab
import Network
import RunProtocol

/// Options shared by the experiments that start from a checkpoint.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "The trained network (a checkpoint written by --save).") var load: String?
    @Option(help: "Train this lesson's network first (lesion, paths, …) instead of loading one.") var preset: Preset?
    @Option(name: .customLong("train-seed"), parsing: .unconditional, help: "With --preset: the seed its network trains with. (default: 1)")
    var trainSeed: UInt64?
    @Option(help: "Directory with the dataset's files, if not where the checkpoint says.") var data: String?
    @Option(help: "Threads. (default: all cores)") var threads: Int?
    @Flag(help: "Print one JSON object per line instead of a table.") var json = false

    func validate() throws {
        guard (load == nil) != (preset == nil) else { throw ValidationError("give either --load FILE or --preset NAME") }
        if trainSeed != nil && preset == nil { throw ValidationError("--train-seed goes with --preset") }
        if let threads, let problem = RunConfiguration.threadsProblem(threads) { throw ValidationError(problem) }
    }

    /// The checkpoint's network, or every network the preset trains (a twin pair gives two).
    func networks() async throws -> [LoadedNetwork] {
        do {
            let checkpoints = if let load { [try Checkpoint.load(URL(fileURLWithPath: load))] } else { try await trainPreset() }
            return try checkpoints.map { try LoadedNetwork(checkpoint: $0, dataPath: data, threads: threads) }
        } catch let error as CheckpointError {
            printError(error.description)
            throw ExitCode.failure
        } catch let error as RunError {
            finishProgress()
            printError(error.description)
            throw ExitCode.failure
        }
    }

    /// Trains the preset's (first) run headless, with progress on stderr,
    /// and returns its networks as checkpoints: the network, then its plain twin if it has one.
    func trainPreset() async throws -> [CheckpointContents] {
        var base = RunConfiguration()
        if let trainSeed { base.seed = trainSeed }
        guard let preset, let configuration = preset.configurations(base: base).first else { throw RunError("no preset") }
        let run = try Run(configuration: configuration, live: false)
        run.start()
        for await update in run.updates {
            guard case .snapshot(let snapshot) = update else { continue }
            progressLine("training the \(preset.rawValue) network\(snapshot.run.map { " (\($0))" } ?? ""): step \(snapshot.step)/\(snapshot.totalSteps)")
        }
        var checkpoints: [CheckpointContents] = []
        for engine in run.engines { checkpoints.append(await engine.checkpoint) }
        return checkpoints
    }
}

/// `reslab lesion`: Veit's lesion experiments on a trained network.
struct LesionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesion",
        abstract: "Delete (or un-skip) blocks of a trained network and measure the test accuracy.")

    @OptionGroup var checkpoint: CheckpointOptions
    @OptionGroup var plots: PlotOptions
    @Option(help: "What to do to each block in the single-block sweep: deleted or plain.") var mode: BlockMode = .deleted
    @Option(help: "Numbers of blocks to delete at once: a list like 1,2,4, or 'all' for 0…n.") var k: String?
    @Option(help: "Random subsets (or reorderings) per k.") var samples: Int = ExperimentDefaults.repeats
    @Flag(help: "Also swap random pairs of interchangeable blocks and report accuracy against Kendall's τ.")
    var reorder = false
    @Option(help: "Evaluate on the first N test samples only.") var limit: Int?
    @Option(help: "Seed for the random subsets.") var seed: UInt64 = ExperimentDefaults.seed

    func validate() throws {
        guard mode != .residual else { throw ValidationError("--mode must be deleted or plain") }
        try checkRepeats(samples)
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1 (got \(limit))") }
    }

    func run() async throws {
        let networks = try await checkpoint.networks()
        var singles: [SingleLesionResult] = [], deletions: [KDeletionResult] = [], reorderings: [ReorderResult] = []
        for loaded in networks {
            // A twin pair's results say which network they are.
            let run = networks.count > 1 ? (loaded.modes.allSatisfy { $0 == .plain } ? "plain" : "residual") : nil
            let results = try WorkerPool.withThreads(loaded.configuration.threads) { try lesion(loaded, run: run) }
            singles.append(results.single)
            deletions += results.deletions
            reorderings += results.reorderings
        }
        if plots.wanted {
            var charts = [ExperimentCharts.singleLesion(singles)]
            if !deletions.isEmpty { charts.append(ExperimentCharts.kDeletion(deletions)) }
            if !reorderings.isEmpty { charts.append(ExperimentCharts.reorder(reorderings)) }
            try plots.write(charts, announce: !checkpoint.json)
        }
    }

    /// Every requested experiment on one network; returns the results.
    func lesion(_ loaded: LoadedNetwork, run: String?) throws
        -> (single: SingleLesionResult, deletions: [KDeletionResult], reorderings: [ReorderResult]) {
        let n = loaded.trainer.network.blocks.count
        let ks: [Int]
        switch k {
        // `--plot-dir` draws all three of Veit's lesion figures, so it runs
        // the k-deletion curve and the reordering too, unless told otherwise.
        case nil: ks = plots.plotDir == nil ? [] : [0, 1, 2, 4, 8, 16].filter { $0 <= n }
        case "all"?: ks = Array(0...n)
        case let list?:
            let parsed = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parsed.allSatisfy({ $0 != nil && (0...n).contains($0!) }) else {
                throw ValidationError("--k takes numbers from 0 to \(n) separated by commas, or 'all' (got \(list))")
            }
            ks = parsed.map { $0! }
        }
        // A plain twin is lesioned from its own (plain) modes; anything else from the residual network.
        let base = loaded.modes.allSatisfy { $0 == .plain } ? loaded.modes : Array(repeating: BlockMode.residual, count: n)
        var lab = LesionLab(trainer: loaded.trainer, samples: loaded.dataset.test, baseModes: base, limit: limit,
                            batchSize: max(loaded.configuration.resolvedBatchSize, 100))
        let output = ExperimentOutput(json: checkpoint.json)
        lab.progress = { done, total in progressLine("evaluating \(done)/\(total)") }

        var single = lab.single(mode: mode)
        single.run = run
        output.emit(single) {
            let kind = base.first == .plain ? "plain twin" : "residual"
            var lines = [String(format: "intact test accuracy %.1f %%  ", 100 * single.intact) + "(\(loaded.dataset.name), \(kind), \(n) blocks)",
                         "block  \(mode.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  change"]
            for (index, value) in single.accuracy.enumerated() {
                let mark = single.downsampling?[index] == true ? "  ↓ downsampling" : ""
                lines.append(String(format: "%5d  %6.1f %%  %+6.1f", index + 1, 100 * value, 100 * (value - single.intact)) + mark)
            }
            let mean = single.accuracy.reduce(0, +) / Float(max(1, n))
            lines.append(String(format: " mean  %6.1f %%  %+6.1f", 100 * mean, 100 * (mean - single.intact)))
            if let downsampling = single.groupMeans.downsampling {
                let ordinary = single.groupMeans.ordinary
                lines.append(String(format: "ordinary blocks %6.1f %%  %+6.1f", 100 * ordinary, 100 * (ordinary - single.intact)))
                lines.append(String(format: "downsampling    %6.1f %%  %+6.1f", 100 * downsampling, 100 * (downsampling - single.intact)))
            }
            return lines
        }
        var deletions: [KDeletionResult] = [], reorderings: [ReorderResult] = []
        if !ks.isEmpty {
            let results = lab.kDeletions(ks, repeats: samples, seed: seed).map { result in
                var result = result
                result.run = run
                return result
            }
            output.emitAll(results, header: "k deleted  accuracy (mean ± std over \(samples) subsets)") {
                String(format: "%9d  %5.1f %% ± %4.1f", $0.k, 100 * $0.mean, 100 * $0.std)
            }
            deletions = results
        }
        if reorder || plots.plotDir != nil {
            let results = lab.reorderings([1, 2, 4, 8, 16], repeats: samples, seed: seed).map { result in
                var result = result
                result.run = run
                return result
            }
            reorderings = results
            if checkpoint.json {
                output.emitAll(results, header: "") { _ in "" }
            } else {
                let groups = Dictionary(grouping: results, by: \.swaps).sorted { $0.key < $1.key }
                output.emit(results) {
                    ["swaps  mean Kendall τ  accuracy (mean ± std over \(samples) reorderings)"] + groups.map { swaps, runs in
                        let tau = runs.map(\.kendallTau).reduce(0, +) / Float(runs.count)
                        let accuracies = runs.map(\.accuracy)
                        let mean = accuracies.reduce(0, +) / Float(runs.count)
                        let std = (accuracies.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(runs.count)).squareRoot()
                        return String(format: "%5d  %15.2f  %5.1f %% ± %4.1f", swaps, tau, 100 * mean, 100 * std)
                    }
                }
            }
        }
        return (single, deletions, reorderings)
    }
}

/// `reslab paths`: how the gradient is spread over path lengths.
struct PathsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paths",
        abstract: "Measure the gradient carried by paths of each length, Veit's way.")

    @OptionGroup var checkpoint: CheckpointOptions
    @OptionGroup var plots: PlotOptions
    @Option(help: "Backward passes sampled per path length.") var samples: Int = ExperimentDefaults.pathRepeats
    @Option(help: "Batch size of the forward pass.") var batch: Int = ExperimentDefaults.pathBatch
    @Option(help: "Seed for the random routes.") var seed: UInt64 = ExperimentDefaults.seed

    func validate() throws {
        try checkRepeats(samples)
        guard batch >= 2 else { throw ValidationError("--batch must be at least 2 (got \(batch))") }
    }

    func run() async throws {
        let networks = try await checkpoint.networks()
        let loaded = networks[0]
        guard loaded.modes.contains(where: { $0 != .plain }) else {
            throw ValidationError("paths are a property of residual networks; this checkpoint is a plain net")
        }
        if let problem = loaded.activationProblem(samples: min(batch, loaded.dataset.train.count)) {
            throw ValidationError("--batch \(batch): \(problem)")
        }
        var result = WorkerPool.withThreads(loaded.configuration.threads) {
            loaded.trainer.pathGradients(batch: loaded.dataset.train, batchSize: batch, repeats: samples, seed: seed) {
                progressLine("path length \($0 - 1) of \($1 - 1)")
            }
        }
        if networks.count > 1 { result.run = "residual" }
        ExperimentOutput(json: checkpoint.json).emit(result) {
            var lines = ["length  paths (share)  gradient per path  share of total gradient"]
            for k in 0...result.blocks {
                lines.append(String(format: "%6d  %13.4f  %17.3e  %8.4f", k, result.distribution[k], result.gradientPerPath[k],
                                    result.totalGradient[k]))
            }
            lines.append("90 % of the gradient comes from paths of length \(result.effectiveRange[0])–\(result.effectiveRange[1]) of \(result.blocks)")
            return lines
        }
        if plots.wanted {
            // The main chart (`--plot`) is the total gradient by length, Veit's figure 6 (c).
            let charts = ExperimentCharts.paths(result)
            try plots.write([charts[2], charts[0], charts[1]], announce: !checkpoint.json)
        }
    }
}

/// `--samples` of `lesion` and `paths`: from 1 to `ExperimentDefaults.maximumRepeats`.
private func checkRepeats(_ samples: Int) throws {
    guard samples >= 1 else { throw ValidationError("--samples must be at least 1 (got \(samples))") }
    guard samples <= ExperimentDefaults.maximumRepeats else {
        throw ValidationError("--samples \(samples) is more than an experiment draws (at most \(ExperimentDefaults.maximumRepeats))")
    }
}

/// Prints experiment results as a table, or as JSON lines with a `kind` field.
struct ExperimentOutput {
    let json: Bool

    func emit<T: Encodable>(_ value: T, table: () -> [String]) {
        finishProgress()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self))
        } else {
            for line in table() { print(line) }
            print("")
        }
    }

    func emitAll<T: Encodable>(_ values: [T], header: String, row: (T) -> String) {
        if json {
            for value in values { emit(value) { [] } }
        } else {
            emit(values) { [header] + values.map(row) }
        }
    }
}
