import ArgumentParser
import Dashboard
import Foundation
import Lab
import RunProtocol

/// `reslab` (or `reslab dashboard`): the live ncurses dashboard.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Train with a live dashboard: loss, accuracy, gradient bars, lesions at a keystroke.")

    @OptionGroup var options: RunOptions
    @Option(help: "Theme: a name from `reslab themes`, or a path to a theme file.") var theme: String?
    @Option(help: ArgumentHelp("Drive an engine in another process instead of training here: a shell command that speaks the protocol on stdin/stdout (`reslab serve …`), or tcp://HOST:PORT of one listening (`reslab serve --listen PORT`). Training options then belong to that engine.", valueName: "command|tcp://host:port"))
    var engine: String?
    @Flag(help: "Start in the projector layout: only the two charts and the bars, as large as the terminal allows (key p).")
    var projector = false

    @MainActor
    func run() async throws {
        // Options first, so that a wrong --theme says so even without a terminal.
        let chosen: Theme, warnings: [String]
        do {
            (chosen, warnings) = try ThemeLibrary.load(theme)
        } catch {
            printError("--theme: \(error.description)")
            throw ExitCode.validationFailure
        }
        do {
            try DashboardApp.preflight()
        } catch let error as TerminalError {
            printError(error.description)
            throw ExitCode.failure
        }
        let run: any RunSession
        do {
            if let engine {
                // An engine may take a while to start (loading PyTorch, a dataset).
                progressLine("waiting for the engine's hello (at most \(Int(RemoteRun.helloTimeout)) s)…")
                defer { finishProgress() }
                run = try Self.remote(engine)
            } else {
                run = try options.liveRun()
            }
        } catch let error as RunError {
            printError(error.description)
            throw ExitCode.failure
        } catch let error as WireError {
            printError(error.description)
            throw ExitCode.failure
        }
        // The lessons about lesions and paths open the panel of their experiment.
        let tab: Tab = switch options.preset {
        case .lesion?, .lesionConv?: .lesions
        case .paths?: .paths
        default: .heatmap
        }
        // Warnings about theme files go into the event log: standard error is behind the screen.
        let app = DashboardApp(run: run, themes: ThemeLibrary.all().themes, theme: chosen, savePath: options.save,
                               preset: options.preset, projector: projector, startTab: tab,
                               notes: warnings.map { "theme file skipped: \($0)" })
        let signal: Int32
        do {
            signal = try await app.run()
        } catch let error as TerminalError {
            printError(error.description)
            throw ExitCode.failure
        }
        // As shells expect: 128 + the signal (Ctrl-C 130, SIGTERM 143).
        if signal != 0 { throw ExitCode(128 + signal) }
    }
}

/// Writes `warning: message` to standard error.
func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}

extension DashboardCommand {
    /// The engine named by `--engine`: `tcp://HOST:PORT`, or a command to start.
    static func remote(_ engine: String) throws(WireError) -> RemoteRun {
        guard engine.hasPrefix("tcp://") else { return try RemoteRun(command: engine) }
        let address = engine.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), !address[..<colon].isEmpty else {
            throw WireError("--engine tcp://HOST:PORT needs a host and a port (got \(engine))")
        }
        return try RemoteRun(host: String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
    }
}

extension RunOptions {
    /// The run a screen drives, here or behind `reslab serve`: live, kept up
    /// after training, with the lesson's follow-up and the `--save` checkpoint.
    func liveRun() throws -> Run {
        let checkpoint = try self.checkpoint()
        // A lesson with several runs (degradation) shows its last, deepest pair.
        guard var configuration = try configurations(base: checkpoint?.configuration ?? RunConfiguration()).last
        else { throw RunError("nothing to run") }
        // A screen run keeps going until the user quits: by default as long
        // as a headless run, after which the network stays up for lesions.
        if configuration.steps == nil && configuration.epochs == nil && checkpoint == nil && configuration.dataset.isPlanar {
            configuration.steps = 4000
        }
        return try Run(configuration: configuration, checkpoint: checkpoint, live: true, savePath: save, followUp: preset?.followUp)
    }
}
