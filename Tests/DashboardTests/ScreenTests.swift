import Dashboard
import RunProtocol
import Testing

/// A snapshot of a small run, as the engine would publish it.
func sampleSnapshot(state: EngineState = .training, modes: [BlockMode] = [.residual, .plain, .deleted, .residual]) -> Snapshot {
    var s = Snapshot()
    s.title = "spirals · dense 4×32"
    s.dataset = "spirals"
    s.activation = "relu"
    s.norm = "batch"
    s.classes = 3
    s.step = 120
    s.totalSteps = 1000
    s.trainLoss = 0.4
    s.trainAccuracy = 0.8
    s.validationLoss = 0.5
    s.validationAccuracy = 0.75
    s.lesionedValidationAccuracy = 0.6
    s.gradientNorms = [0.3, 0.01, 0, 0.2]
    s.inputGradientNorms = [0.5, 0.4, 0.3, 0.2]
    s.blockModes = modes
    s.state = state
    s.evaluatedAtStep = 100
    s.events = [EngineEvent(id: 1, time: 61, message: "block 3 deleted · val acc 75.0 % → 60.0 %")]
    return s
}

struct ScreenTests {
    func render(_ snapshot: Snapshot, width: Int = 120, height: Int = 36, help: Bool = false) -> [String] {
        var model = DashboardModel()
        model.absorb(snapshot)
        model.showHelp = help
        return Screen.render(&model, width: width, height: height).lines
    }

    @Test func fullLayoutShowsEveryPanel() {
        let text = render(sampleSnapshot()).joined(separator: "\n")
        for expected in ["▶ training · spirals · dense 4×32 · relu · batch norm", "●2 ○1 ✕1", "step 120/1000",
                         "scope: eval only", "loss (log)", "╍╍ lesioned", "‖∂L/∂W‖ per block", "gradient flow", "events",
                         "00:01:01 block 3 deleted", "space pause"] {
            #expect(text.contains(expected), "missing \(expected)")
        }
    }

    @Test func smallerTerminalsGetFewerPanels() {
        let text = render(sampleSnapshot(), width: 70, height: 20).joined(separator: "\n")
        #expect(text.contains("‖∂L/∂W‖ per block"))
        #expect(!text.contains("events"))
        #expect(!text.contains("gradient flow"))
    }

    @Test func tinyTerminalGetsOneCentredNotice() {
        let lines = render(sampleSnapshot(), width: 50, height: 10)
        #expect(lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                == ["      enlarge terminal to 60×16 (now 50×10)       "])
        #expect(lines[5].contains("enlarge"))
    }

    @Test func helpOverlayExplainsKeysAndScope() {
        let text = render(sampleSnapshot(), help: true).joined(separator: "\n")
        #expect(text.contains("skip connection of the selected block on/off"))
        #expect(text.contains("Scope is EVALUATION ONLY"))
    }

    @Test func divergedRunShowsABannerWithTheWayOut() {
        let text = render(sampleSnapshot(state: .diverged)).joined(separator: "\n")
        #expect(text.contains("✕ diverged"))
        #expect(text.contains("then R to reset"))
    }

    /// A lost engine's reason replaces the state; when it is longer than
    /// the line, it is cut with "…" rather than dropped.
    @Test func aLongReasonForALostEngineIsCutNotDropped() {
        var model = DashboardModel()
        model.absorb(sampleSnapshot())
        model.lostEngine = "a rank of the run stopped (Connection closed by peer [127.0.0.1]:60050); the run cannot go on"
            + " · engine exited (status 1)"
        let header = Screen.render(&model, width: 80, height: 24).lines[0]
        #expect(header.hasPrefix(" ✕ a rank of the run stopped (Connection closed"), "\(header)")
        #expect(header.contains("…") && header.contains("scope: eval only"))
    }

    @Test func clicksOnBarsSelectBlocks() {
        var model = DashboardModel()
        model.absorb(sampleSnapshot())
        _ = Screen.render(&model, width: 120, height: 36)
        let row = model.barRows.first { $0.value == 2 }!.key
        _ = model.handle(.click(x: 5, y: row))
        #expect(model.selectedBlock == 2)
    }
}

struct KeyTests {
    func model(_ snapshot: Snapshot = sampleSnapshot()) -> DashboardModel {
        var model = DashboardModel()
        model.absorb(snapshot)
        return model
    }

    @Test func skipAndDeleteToggleTheSelectedBlock() {
        var m = model()
        #expect(m.handle(.toggleSkip).commands == [.toggleSkip(block: 0)])
        _ = m.handle(.selectNext)
        #expect(m.handle(.toggleSkip).commands == [.toggleSkip(block: 1)])
        _ = m.handle(.selectNext)
        #expect(m.handle(.toggleDelete).commands == [.toggleDelete(block: 2)])
        _ = m.handle(.selectNext)
        _ = m.handle(.selectNext)
        #expect(m.selectedBlock == 3)
    }

    @Test func allSkipsRestoreScopeAndPause() {
        var m = model(sampleSnapshot(modes: Array(repeating: .residual, count: 4)))
        #expect(m.handle(.toggleAllSkips).commands == [.toggleAllSkips])
        #expect(m.handle(.restoreAll).commands == [.setAllModes(.residual)])
        #expect(m.handle(.toggleScope).commands == [.toggleScope])
        #expect(m.handle(.pauseOrResume).commands == [.togglePause])
        #expect(m.handle(.save).commands == [.save(path: nil)])
    }

    @Test func keysMapLikeHtopAndVim() {
        #expect(KeyMap.action(for: .character("j")) == .selectNext)
        #expect(KeyMap.action(for: .up) == .selectPrevious)
        #expect(KeyMap.action(for: .character("q")) == .quit)
        #expect(KeyMap.action(for: .character("\u{03}")) == .quit)
        #expect(KeyMap.action(for: .f1) == .toggleHelp)
        #expect(KeyMap.action(for: .character("+")) == .scaleLearningRate(2))
        #expect(KeyMap.action(for: .character("x")) == .exportScreen)
        #expect(KeyMap.action(for: .character("z")) == nil)
        #expect(KeyMap.action(for: .pageUp) == .olderEvents)
        #expect(KeyMap.action(for: .character("p")) == .toggleProjector)
    }

    @Test func escapeClosesTheHelpBeforeItCancelsAnything() {
        var m = model()
        _ = m.handle(.toggleHelp)
        #expect(KeyMap.action(for: .character("\u{1B}")) == .escape)
        #expect(m.handle(.escape).commands.isEmpty)
        #expect(!m.showHelp)
        #expect(m.handle(.escape).commands == [.cancelExperiment])
    }

    @Test func historyGrowsWithNewStepsAndRestartsOnReset() {
        var m = DashboardModel()
        var s = sampleSnapshot()
        m.absorb(s)
        s.step = 140
        s.evaluatedAtStep = 140
        m.absorb(s)
        #expect(m.trainLoss.count == 2)
        #expect(m.validationAccuracy.count == 2)
        s.step = 3
        m.absorb(s)
        #expect(m.trainLoss.count == 1)
    }
}

struct TwinScreenTests {
    @Test func twinAddsCurvesAndItsOwnBars() {
        var model = DashboardModel()
        model.absorb(sampleSnapshot())
        var twin = sampleSnapshot(modes: Array(repeating: .plain, count: 4))
        twin.run = "plain"
        twin.gradientNorms = [1e-20, 1e-15, 1e-10, 1e-5]
        model.absorbTwin(twin)
        let text = Screen.render(&model, width: 120, height: 40).lines.joined(separator: "\n")
        #expect(text.contains("─ ─ plain twin"))
        #expect(text.contains(" plain twin "))
        #expect(text.contains("1.0e-20"))
        #expect(text.contains("residual") && text.contains("plain twin"))
        #expect(model.twinTrainLoss.count == 1)
        #expect(Command.pause.concernsBothTwins && !Command.setAllModes(.plain).concernsBothTwins)
    }
}
