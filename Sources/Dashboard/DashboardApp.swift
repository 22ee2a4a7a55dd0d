import Foundation
import Lab
import Synchronization

/// The newest snapshot, handed from the stream's task to the UI loop.
final class SnapshotMailbox: Sendable {
    private let latest = Mutex<Snapshot?>(nil)

    func put(_ snapshot: Snapshot) { latest.withLock { $0 = snapshot } }
    func take() -> Snapshot? { latest.withLock { value in defer { value = nil }; return value } }
}

/// The interactive front end: reads keys, sends commands, and draws the
/// newest snapshot at most twenty times a second. Training runs in the
/// engine meanwhile and never waits for the screen.
@MainActor
public final class DashboardApp {
    private let engine: Engine
    /// The plain twin trained beside `engine`, if any.
    private let twin: Engine?
    private var themes: [Theme]
    private var themeIndex: Int
    /// Where `w` and the end of the run write the checkpoint (`--save`).
    private let savePath: String?
    private var model = DashboardModel()
    /// Sent once when training finishes (a lesson's experiment), if any.
    private var whenFinished: Command?
    private var savedAtFinish = false

    public init(engine: Engine, twin: Engine? = nil, themes: [Theme], theme: Theme, savePath: String?,
                preset: Preset? = nil, projector: Bool = false, startTab: Tab = .heatmap,
                whenFinished: Command? = nil, notes: [String] = []) {
        self.whenFinished = whenFinished
        self.engine = engine
        self.twin = twin
        self.themes = themes.contains(theme) ? themes : [theme] + themes
        themeIndex = self.themes.firstIndex(of: theme) ?? 0
        self.savePath = savePath
        model.themeName = theme.name
        model.preset = preset
        model.projector = projector
        model.tab = startTab
        for note in notes { model.note(note) }
    }

    /// Throws a `TerminalError` if standard input and output are not a
    /// terminal that ncurses knows.
    public static func preflight() throws {
        try Terminal.preflight()
    }

    /// Runs until the user quits or a termination signal arrives; returns
    /// that signal's number, or 0 after `q`. The terminal is restored on
    /// every way out.
    public func run() async throws -> Int32 {
        let terminal = try Terminal(theme: themes[themeIndex])
        defer { terminal.stop() }
        model.colour = terminal.showsColour(themes[themeIndex])
        let mailbox = SnapshotMailbox()
        let twinMailbox = SnapshotMailbox()
        let engine = self.engine, twin = self.twin
        let training = Task.detached { await engine.run() }
        let twinTraining = Task.detached { await twin?.run() }
        let listener = Task.detached {
            for await snapshot in engine.snapshots { mailbox.put(snapshot) }
        }
        let twinListener = Task.detached {
            guard let twin else { return }
            for await snapshot in twin.snapshots { twinMailbox.put(snapshot) }
        }
        let clock = ContinuousClock()
        var lastFrame = clock.now - .seconds(1)
        var dirty = true
        loop: while pendingSignal.load(ordering: .relaxed) == 0 {
            if let key = terminal.readKey(waiting: 25) {
                dirty = true
                if let action = KeyMap.action(for: key) {
                    let effect = model.handle(action)
                    for command in effect.commands { send(command) }
                    if effect.nextTheme {
                        themeIndex = (themeIndex + 1) % themes.count
                        terminal.setTheme(themes[themeIndex])
                        model.themeName = themes[themeIndex].name
                        model.colour = terminal.showsColour(themes[themeIndex])
                    }
                    if effect.quit { break loop }
                }
            }
            if let snapshot = mailbox.take() {
                model.absorb(snapshot)
                dirty = true
            }
            if let snapshot = twinMailbox.take() {
                model.absorbTwin(snapshot)
                dirty = true
            }
            finishIfDone()
            if dirty && clock.now - lastFrame >= .milliseconds(50) {
                let (width, height) = terminal.size
                terminal.draw(Screen.render(&model, width: width, height: height))
                lastFrame = clock.now
                dirty = false
            }
        }
        engine.send(.quit)
        twin?.send(.quit)
        await training.value
        await twinTraining.value
        listener.cancel()
        twinListener.cancel()
        return pendingSignal.load(ordering: .relaxed)
    }

    /// Sends a key's command to the engine, and to the twin when it
    /// concerns both; `w` writes to `--save` when one was given.
    private func send(_ command: Command) {
        if case .save(nil) = command, let savePath {
            engine.send(.save(path: savePath))
            twin?.send(.save(path: Checkpoint.twinPath(savePath)))
            return
        }
        engine.send(command)
        if command.concernsBothTwins { twin?.send(command) }
    }

    /// When training has finished (both nets, for a twin run): writes the
    /// `--save` checkpoint once, then starts the lesson's experiment.
    private func finishIfDone() {
        guard model.snapshot.state == .finished, twin == nil || model.twin?.state == .finished else { return }
        if !savedAtFinish, let savePath {
            savedAtFinish = true
            engine.send(.save(path: savePath))
            twin?.send(.save(path: Checkpoint.twinPath(savePath)))
        }
        if let command = whenFinished {
            engine.send(command)
            whenFinished = nil
        }
    }
}

extension Command {
    /// Whether a key sends this to the plain twin as well: the run controls
    /// do; lesions, scope and experiments belong to the residual net alone.
    public var concernsBothTwins: Bool {
        switch self {
        case .pause, .resume, .togglePause, .step, .reset, .scaleLearningRate, .evaluate, .quit, .save: return true
        default: return false
        }
    }
}
