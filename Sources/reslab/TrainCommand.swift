import ArgumentParser
import Foundation
import Lab
import Network

/// `reslab train`: the headless front end of the engine. It prints one line
/// (or one JSON object) per evaluation and exits non-zero if the run diverges.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train without a screen, printing progress lines or JSON lines.")

    @OptionGroup var options: RunOptions
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
        var finals: [(depth: Int, snapshot: Snapshot)] = []
        for configuration in configurations {
            for snapshot in try await train(configuration, checkpoint: checkpoint) {
                finals.append((configuration.resolvedDepth, snapshot))
            }
        }
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

    /// Trains one configuration (or its twin pair) to the end; returns the
    /// last snapshot of each engine.
    func train(_ configuration: RunConfiguration, checkpoint: CheckpointContents?) async throws -> [Snapshot] {
        let engines: [Engine]
        do {
            if configuration.twin {
                guard checkpoint == nil else { throw RunError("--twin trains two networks from scratch; it cannot --load") }
                engines = try TwinRun(configuration: configuration, policy: .everyEvaluation).engines
            } else {
                engines = [try Engine(configuration: configuration, policy: .everyEvaluation, checkpoint: checkpoint)]
            }
        } catch let error as RunError {
            printError(error.description)
            throw ExitCode.failure
        }
        let json = self.json
        let outcomes = await withTaskGroup(of: (Snapshot, Bool)?.self) { group in
            for engine in engines {
                group.addTask { await engine.run(); return nil }
                group.addTask { await Self.report(engine, json: json) }
            }
            var outcomes: [(Snapshot, Bool)] = []
            for await result in group {
                guard let result else { continue }
                outcomes.append(result)
                if result.1 { for engine in engines { engine.send(.quit) } }
            }
            return outcomes
        }
        if let diverged = outcomes.first(where: { $0.1 })?.0 {
            let run = diverged.run.map { "the \($0) run " } ?? ""
            printError("\(run)diverged at step \(diverged.step): the loss became NaN or infinite. Try a lower --lr (now \(options.lr.map { "\($0)" } ?? "default")).")
            throw ExitCode.failure
        }
        if let path = options.save {
            for (index, engine) in engines.enumerated() {
                let target = index == 0 ? path : Checkpoint.twinPath(path)
                do {
                    try await engine.saveCheckpoint(to: target)
                    if !json { print("· saved checkpoint \(target)") }
                } catch {
                    printError("\(error)")
                    throw ExitCode.failure
                }
            }
        }
        let order = ["residual", "plain"]
        return outcomes.map(\.0).sorted { order.firstIndex(of: $0.run ?? "") ?? 0 < order.firstIndex(of: $1.run ?? "") ?? 0 }
    }

    /// Prints an engine's snapshots until it finishes; returns its last
    /// snapshot, and whether it diverged.
    static func report(_ engine: Engine, json: Bool) async -> (Snapshot, Bool) {
        var formatter = ProgressFormatter(json: json)
        var last = Snapshot()
        for await snapshot in engine.snapshots {
            last = snapshot
            if snapshot.state == .diverged { return (snapshot, true) }
            for line in formatter.lines(for: snapshot) { print(line) }
        }
        return (last, false)
    }
}

/// Writes `error: message` to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}
