import Foundation
import RunProtocol
import Synchronization
import SystemErrors

/// What the run has said since the UI loop last looked: each engine's
/// snapshots in order, the notices, and the end. Filled by the updates'
/// task, emptied by the UI loop, which takes in every snapshot: a front end
/// that attaches to a running engine receives the run's history in one
/// burst, and each of those snapshots is a point of its curves.
final class UpdateMailbox: Sendable {
    private struct Contents {
        var residual: [Snapshot] = []
        var twin: [Snapshot] = []
        var notices: [String] = []
        var ended: String??
    }
    private let contents = Mutex(Contents())
    /// Snapshots kept per engine when the UI loop falls behind (more than a
    /// replayed history holds); the oldest go first.
    static let limit = 4096

    func put(_ update: RunUpdate) {
        contents.withLock { box in
            switch update {
            case .snapshot(let snapshot) where snapshot.run == "plain": Self.append(snapshot, to: &box.twin)
            case .snapshot(let snapshot): Self.append(snapshot, to: &box.residual)
            case .notice(let message): box.notices.append(message)
            case .ended(let reason): box.ended = .some(reason)
            }
        }
    }

    private static func append(_ snapshot: Snapshot, to list: inout [Snapshot]) {
        list.append(snapshot)
        if list.count > limit { list.removeFirst(list.count - limit) }
    }

    /// Everything new, once.
    func take() -> (residual: [Snapshot], twin: [Snapshot], notices: [String], ended: String??) {
        contents.withLock { box in
            defer { box = Contents() }
            return (box.residual, box.twin, box.notices, box.ended)
        }
    }
}

/// The interactive front end: reads keys, sends commands, and draws the
/// newest snapshot at most twenty times a second. It knows the run only as
/// a `RunSession`: in this process or another, the engine never waits for
/// the screen.
@MainActor
public final class DashboardApp {
    private let run: any RunSession
    private var themes: [Theme]
    private var themeIndex: Int
    /// Where `w` writes the checkpoint (`--save`); otherwise the engine names it.
    private let savePath: String?
    private var model = DashboardModel()

    public init(run: any RunSession, themes: [Theme], theme: Theme, savePath: String?,
                preset: Preset? = nil, projector: Bool = false, startTab: Tab = .heatmap, notes: [String] = []) {
        self.run = run
        self.themes = themes.contains(theme) ? themes : [theme] + themes
        themeIndex = self.themes.firstIndex(of: theme) ?? 0
        self.savePath = savePath
        model.themeName = theme.name
        model.preset = preset
        model.projector = projector
        model.tab = startTab
        model.capabilities = run.capabilities
        for note in notes { model.note(note) }
    }

    /// Throws a `TerminalError` if standard input and output are not a
    /// terminal that ncurses knows.
    public static func preflight() throws {
        try Terminal.preflight()
    }

    /// Runs until the user quits or a termination signal arrives; returns
    /// that signal's number, or 0 after `q`. The terminal is restored on
    /// every way out. When the run ends on its own (an engine that exits, a
    /// lost connection), the last screen stays, with the reason, until `q`.
    public func run() async throws -> Int32 {
        let terminal = try Terminal(theme: themes[themeIndex])
        defer { terminal.stop() }
        model.colour = terminal.showsColour(themes[themeIndex])
        if !terminal.unicode {
            model.note("no UTF-8 locale: ASCII screen (LANG=C.UTF-8 shows lines and dots)")
        }
        let mailbox = UpdateMailbox()
        let run = self.run
        let listener = Task.detached {
            for await update in run.updates { mailbox.put(update) }
        }
        run.start()
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
                    if effect.exportScreen {
                        let (width, height) = terminal.size
                        exportScreen(Screen.render(&model, width: width, height: height))
                    }
                    if effect.quit { break loop }
                }
            }
            let news = mailbox.take()
            for snapshot in news.residual { model.absorb(snapshot) }
            for snapshot in news.twin { model.absorbTwin(snapshot) }
            for notice in news.notices { model.note(notice) }
            if case .some(let reason) = news.ended, let reason { model.engineLost(reason) }
            if !news.residual.isEmpty || !news.twin.isEmpty || !news.notices.isEmpty || news.ended != nil { dirty = true }
            if dirty && clock.now - lastFrame >= .milliseconds(50) {
                let (width, height) = terminal.size
                terminal.draw(Screen.render(&model, width: width, height: height))
                lastFrame = clock.now
                dirty = false
            }
        }
        // A closed terminal (SIGHUP) leaves an engine on a socket to the next front end.
        if pendingSignal.load(ordering: .relaxed) == SIGHUP { await run.leave() } else { await run.stop() }
        listener.cancel()
        return pendingSignal.load(ordering: .relaxed)
    }

    /// `x`: writes the screen as it looks to an SVG file beside the
    /// checkpoints (the `--save` file's directory, or the current one), and
    /// names the file in the event log.
    private func exportScreen(_ canvas: Canvas) {
        let directory = savePath.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withFullDate, .withTime])
        let file = directory.appendingPathComponent("reslab-screen-step\(model.snapshot.step)-\(stamp).svg")
        do {
            try Data(ScreenSVG.svg(canvas, theme: themes[themeIndex], colour: model.colour).utf8).write(to: file, options: .atomic)
            model.note("wrote the screen to \(file.path)")
        } catch {
            model.note("could not write the screen to \(file.path): \(systemReason(error))")
        }
    }

    /// `w` writes to `--save` when one was given.
    private func send(_ command: Command) {
        if case .save(nil) = command, let savePath { return run.send(.save(path: savePath)) }
        run.send(command)
    }
}
