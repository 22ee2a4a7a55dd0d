import ArgumentParser
import Foundation
import Lab
import Network
import RunProtocol
import Figures

/// `reslab train`: the headless front end of the engine. It prints one line
/// (or one JSON object) per evaluation and exits non-zero if the run diverges.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train without a screen, printing progress lines or JSON lines.")

    @OptionGroup var options: RunOptions
    @OptionGroup var plots: PlotOptions
    @Flag(help: "Print one JSON object per line instead of text.") var json = false

    func run() async throws {
        let checkpoint: CheckpointContents?
        let configurations: [RunConfiguration]
        do {
            checkpoint = try options.checkpoint()
            configurations = try options.configurations(base: checkpoint?.configuration ?? RunConfiguration())
        } catch let error as RunError {
            printError(error.description)
            throw ExitCode.failure
        }
        let interruption = Interruption()
        var finals: [(depth: Int, snapshot: Snapshot)] = []
        var histories: [[Snapshot]] = []
        for configuration in configurations where interruption.receivedSignal == 0 {
            let label = configurations.count > 1 ? "depth \(configuration.resolvedDepth)" : nil
            let (last, runs) = try await train(configuration, checkpoint: checkpoint, interruption: interruption, label: label)
            finals += last.map { (configuration.resolvedDepth, $0) }
            histories += runs
        }
        if plots.wanted {
            try plots.write(ExperimentCharts.training(histories) + [ExperimentCharts.gradientNorms(histories)], announce: !json)
        }
        // As shells expect: 128 + the signal, once the run has stopped and saved.
        if interruption.receivedSignal != 0 { throw ExitCode(128 + interruption.receivedSignal) }
        // A twin run ends with its verdict, as the dashboard's banner shows it.
        if !json {
            for pair in stride(from: 0, to: finals.count - 1, by: 2) where finals[pair].snapshot.run == "residual" {
                if let verdict = TwinVerdict(residual: finals[pair].snapshot, plain: finals[pair + 1].snapshot) {
                    print("verdict (depth \(finals[pair].depth)): " + verdict.line)
                }
            }
        }
        // Several runs (the degradation lesson): a summary to compare them.
        if configurations.count > 1 && !json {
            print("\nrun        depth  final train loss  test accuracy")
            for (depth, snapshot) in finals {
                let name = (snapshot.run ?? "").padding(toLength: 9, withPad: " ", startingAt: 0)
                print(name + String(format: "  %5d  %16.4f  %11.1f %%", depth, snapshot.trainLoss ?? .nan,
                                    100 * (snapshot.testAccuracy ?? 0)))
            }
        }
    }

    /// Trains one configuration (or its twin pair) to the end, with the
    /// `--save` checkpoints and the lesson's follow-up; returns the last
    /// snapshot of each engine, residual first, and, when charts are
    /// wanted, each engine's snapshots (named with `label` and its run).
    func train(_ configuration: RunConfiguration, checkpoint: CheckpointContents?, interruption: Interruption,
               label: String?) async throws -> (last: [Snapshot], histories: [[Snapshot]]) {
        let run: Run
        do {
            run = try Run(configuration: configuration, checkpoint: checkpoint, live: false, savePath: options.save,
                          followUp: options.preset?.followUp)
        } catch let error as RunError {
            printError(error.description)
            throw ExitCode.failure
        }
        interruption.watch(run)
        defer { interruption.watch(nil) }
        run.start()
        var formatters: [String: ProgressFormatter] = [:]
        var histories: [String: [Snapshot]] = [:]
        var diverged: Snapshot?
        for await update in run.updates {
            switch update {
            case .snapshot(let snapshot):
                if snapshot.state == .diverged { diverged = diverged ?? snapshot; continue }
                let key = snapshot.run ?? ""
                var formatter = formatters[key] ?? ProgressFormatter(json: json)
                for line in formatter.lines(for: snapshot) { print(line) }
                // A file or a pipe gets each line as it is printed, not when a buffer fills.
                fflush(nil)
                formatters[key] = formatter
                if plots.wanted && snapshot.experiment == nil {
                    // What a chart needs: the figures, not the events or the decision map.
                    var kept = snapshot
                    (kept.events, kept.decisionMap) = ([], nil)
                    kept.run = [label, snapshot.run].compactMap { $0 }.joined(separator: " ").nilIfEmpty
                    histories[key, default: []].append(kept)
                }
            case .notice(let message):
                if !json { print("· \(message)") }
            case .ended:
                break
            }
        }
        if let diverged {
            let run = diverged.run.map { "the \($0) run " } ?? ""
            printError("\(run)diverged at step \(diverged.step): the loss became NaN or infinite. Try a lower --lr (now \(configuration.peakLearningRate)\(options.lr == nil ? ", the default" : "")).")
            throw ExitCode.failure
        }
        if await run.saveFailed { throw ExitCode.failure }
        let order = histories.keys.sorted { ($0 == "plain" ? 1 : 0, $0) < ($1 == "plain" ? 1 : 0, $1) }
        return (await run.finalSnapshots, order.compactMap { histories[$0] })
    }
}

/// Writes `error: message` to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}

extension String {
    /// nil for the empty string.
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
