import ArgumentParser
import Foundation
import Lab

/// `reslab train`: the headless front end of the engine. It prints one line
/// (or one JSON object) per evaluation and exits non-zero if the run diverges.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train without a screen, printing progress lines or JSON lines.")

    @OptionGroup var options: RunOptions
    @Flag(help: "Print one JSON object per line instead of text.") var json = false

    func run() async throws {
        let engine: Engine
        do {
            let checkpoint = try options.checkpoint()
            let configuration = try options.configuration(base: checkpoint?.configuration ?? RunConfiguration())
            engine = try Engine(configuration: configuration, policy: .everyEvaluation, checkpoint: checkpoint)
        } catch let error as RunError {
            printError(error.description)
            throw ExitCode.failure
        }
        let task = Task { await engine.run() }
        var formatter = ProgressFormatter(json: json)
        var last = Snapshot()
        for await snapshot in engine.snapshots {
            last = snapshot
            if snapshot.state == .diverged { break }
            for line in formatter.lines(for: snapshot) { print(line) }
        }
        if last.state == .diverged {
            engine.send(.quit)
            await task.value
            printError("diverged at step \(last.step): the loss became NaN or infinite. Try a lower --lr (now \(options.lr.map { "\($0)" } ?? "default")).")
            throw ExitCode.failure
        }
        await task.value
        if let path = options.save {
            do {
                try await engine.saveCheckpoint(to: path)
                if !json { print("· saved checkpoint \(path)") }
            } catch {
                printError("\(error)")
                throw ExitCode.failure
            }
        }
    }
}

/// Writes `error: message` to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
}
