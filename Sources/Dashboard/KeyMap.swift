import RunProtocol

/// A key press or terminal event, as the UI loop sees it.
public enum Key: Equatable, Sendable {
    case character(Character)
    case up, down, pageUp, pageDown, tab, f1, resize
    case click(x: Int, y: Int)
}

/// What a key asks for.
public enum Action: Equatable, Sendable {
    case selectPrevious, selectNext
    case click(x: Int, y: Int)
    case toggleSkip, toggleDelete, toggleAllSkips, restoreAll, toggleScope
    case pauseOrResume, singleStep, evaluate, reset
    case scaleLearningRate(Float)
    case lesionSweep, kDeletionCurve, pathReport
    /// Esc: closes the help if it is open, else cancels the running experiment.
    case escape
    case cancelExperiment
    case nextTheme, save, exportScreen, toggleHelp, nextTab, toggleLogScale, toggleGradientKind, toggleProjector
    case olderEvents, newerEvents
    case quit
}

/// Keys follow htop/btop/vim habits: arrows or j/k, space, q, ?.
public enum KeyMap {
    public static func action(for key: Key) -> Action? {
        switch key {
        case .up, .character("k"): return .selectPrevious
        case .down, .character("j"): return .selectNext
        case .click(let x, let y): return .click(x: x, y: y)
        case .tab: return .nextTab
        case .f1, .character("?"): return .toggleHelp
        case .character("s"): return .toggleSkip
        case .character("d"): return .toggleDelete
        case .character("a"): return .toggleAllSkips
        case .character("r"): return .restoreAll
        case .character("m"): return .toggleScope
        case .character(" "): return .pauseOrResume
        case .character("n"): return .singleStep
        case .character("e"): return .evaluate
        case .character("R"): return .reset
        case .character("+"), .character("="): return .scaleLearningRate(2)
        case .character("-"), .character("_"): return .scaleLearningRate(0.5)
        case .character("t"): return .nextTheme
        case .character("w"): return .save
        case .character("x"): return .exportScreen
        case .character("l"): return .toggleLogScale
        case .character("g"): return .toggleGradientKind
        case .character("L"): return .lesionSweep
        case .character("K"): return .kDeletionCurve
        case .character("P"): return .pathReport
        case .character("c"): return .cancelExperiment
        case .character("\u{1B}"): return .escape
        case .character("p"): return .toggleProjector
        case .pageUp: return .olderEvents
        case .pageDown: return .newerEvents
        case .character("q"), .character("\u{03}"): return .quit
        default: return nil
        }
    }

    /// The help overlay's lines: every key, and what the current scope means.
    static func help(scope: LesionScope) -> [String] {
        [
            "↑ ↓  k j   select a block (or click its bar)",
            "s          skip connection of the selected block on/off",
            "d          delete or restore the selected block",
            "a          every skip on/off        r   restore every block",
            "m          lesion scope: evaluation only ↔ training and evaluation",
            "space      pause or resume          n   one step while paused",
            "e          evaluate now             R   reset to the initial weights",
            "+ -        learning rate ×2 or ÷2",
            "tab        next panel               l   log scale of the loss",
            "g          bars: ‖∂L/∂W‖ ↔ ‖∂L/∂x‖   t   next theme",
            "w          save a checkpoint        x   write the screen as SVG",
            "L K P      lesion sweep, k-deletion curve, path report (c cancels)",
            "p          projector: only the charts and the bars, large",
            "PgUp PgDn  scroll the event log      q   quit (also Ctrl-C)",
            "",
            scope == .eval
                ? "Scope is EVALUATION ONLY: training goes on with the intact network;"
                : "Scope is TRAINING AND EVALUATION: the network learns with its changes;",
            scope == .eval
                ? "lesions change only the lesioned accuracy (the ╍╍ curve)."
                : "switch skips off here to watch the early blocks' gradients vanish.",
            "",
            "● residual S(x)+F(x)   ○ plain F(x), skip off   ✕ deleted S(x)",
            "One log axis serves every gradient bar, of both nets, and the heatmap.",
            "press ? or Esc to close",
        ]
    }
}

/// What handling an action asks the UI loop to do besides redrawing.
public struct Effect: Equatable, Sendable {
    public var commands: [Command] = []
    public var quit = false
    public var nextTheme = false
    public var exportScreen = false
}

extension DashboardModel {
    /// Applies an action to the model and says what the loop must do.
    /// Commands say what the user meant; the engine, which owns the state,
    /// decides the result.
    public mutating func handle(_ action: Action) -> Effect {
        var effect = Effect()
        switch action {
        case .selectPrevious: selectedBlock = max(0, selectedBlock - 1)
        case .selectNext: selectedBlock = min(max(0, blockCount - 1), selectedBlock + 1)
        case .click(_, let y): if let block = barRows[y] { selectedBlock = block }
        case .toggleSkip: effect.commands = [.toggleSkip(block: selectedBlock)]
        case .toggleDelete: effect.commands = [.toggleDelete(block: selectedBlock)]
        case .toggleAllSkips: effect.commands = [.toggleAllSkips]
        case .restoreAll: effect.commands = [.setAllModes(.residual)]
        case .toggleScope: effect.commands = [.toggleScope]
        case .pauseOrResume: effect.commands = [.togglePause]
        case .singleStep: effect.commands = [.step]
        case .evaluate: effect.commands = [.evaluate]
        case .reset: effect.commands = [.reset]
        case .scaleLearningRate(let factor): effect.commands = [.scaleLearningRate(factor)]
        case .lesionSweep:
            effect.commands = offered(.lesionSweep, as: .lesionSweep)
            tab = .lesions
        case .kDeletionCurve:
            effect.commands = offered(.kDeletions, as: .kDeletionCurve)
            tab = .lesions
        case .pathReport:
            effect.commands = offered(.paths, as: .pathReport)
            tab = .paths
        case .escape:
            if showHelp { showHelp = false } else { effect.commands = [.cancelExperiment] }
        case .cancelExperiment: effect.commands = [.cancelExperiment]
        case .nextTheme: effect.nextTheme = true
        case .save: effect.commands = offered(.save, as: .save(path: nil))
        case .exportScreen: effect.exportScreen = true
        case .toggleHelp: showHelp.toggle()
        case .nextTab: tab = Tab.allCases[(Tab.allCases.firstIndex(of: tab)! + 1) % Tab.allCases.count]
        case .toggleLogScale: logLoss.toggle()
        case .toggleGradientKind: gradientKind = gradientKind == .weights ? .input : .weights
        case .toggleProjector: projector.toggle()
        case .olderEvents: eventScroll = min(eventScroll + 5, 3 * eventLog.count)
        case .newerEvents: eventScroll = max(0, eventScroll - 5)
        case .quit: effect.quit = true
        }
        return effect
    }

    /// `command` if the engine can do it; otherwise a line in the log saying it cannot.
    private mutating func offered(_ capability: Capability, as command: Command) -> [Command] {
        guard capabilities.contains(capability) else {
            note("this engine cannot do \(capability.rawValue)")
            return []
        }
        return [command]
    }
}
