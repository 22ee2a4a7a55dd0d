import Dashboard
import Foundation
import RunProtocol
import Testing

/// A whole screen as text: the characters, then one code per cell for its
/// style, with a legend of the codes. Golden files hold this text; a change
/// to any cell's character or style shows in a line-by-line diff.
struct ScreenText {
    let text: String

    init(_ canvas: Canvas) {
        var codes: [CellStyle: Character] = [:]
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@#$%&*+=")
        var styleLines: [String] = []
        for y in 0..<canvas.height {
            var line = ""
            for x in 0..<canvas.width {
                let style = canvas[x, y].style
                if codes[style] == nil { codes[style] = alphabet[min(codes.count, alphabet.count - 1)] }
                line.append(codes[style]!)
            }
            styleLines.append(line)
        }
        let legend = codes.sorted { $0.value < $1.value }.map { style, code in
            "\(code) = \(style.foreground.rawValue)" + (style.background.map { " on \($0.rawValue)" } ?? "")
                + (style.bold ? " bold" : "") + (style.reverse ? " reverse" : "")
        }
        text = (canvas.lines + ["--- styles ---"] + styleLines + ["--- legend ---"] + legend).joined(separator: "\n") + "\n"
    }

    /// The lines that differ, numbered, as `-expected` / `+actual` pairs.
    static func diff(expected: String, actual: String) -> String {
        let old = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let new = actual.split(separator: "\n", omittingEmptySubsequences: false)
        var report: [String] = []
        for index in 0..<max(old.count, new.count) {
            let a = index < old.count ? String(old[index]) : "(none)", b = index < new.count ? String(new[index]) : "(none)"
            if a != b { report += ["line \(index + 1):", "- \(a)", "+ \(b)"] }
        }
        return report.prefix(30).joined(separator: "\n")
    }
}

struct GoldenScreenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let sizes = [(80, 24), (130, 42), (200, 60)]

    /// Every lesson at 80×24, 130×42 and 200×60 against its golden file.
    /// `RESLAB_RECORD_GOLDEN=1 swift test …` writes the files anew.
    @Test(arguments: ScreenFixtures.names)
    func screensMatchTheirGoldenFiles(name: String) throws {
        for (width, height) in Self.sizes {
            var model = ScreenFixtures.model(name)
            let actual = ScreenText(Screen.render(&model, width: width, height: height)).text
            let file = Self.directory.appendingPathComponent("\(name)-\(width)x\(height).txt")
            if ProcessInfo.processInfo.environment["RESLAB_RECORD_GOLDEN"] == "1" {
                try actual.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOf: file, encoding: .utf8)
            #expect(actual == expected, "\(file.lastPathComponent) differs:\n\(ScreenText.diff(expected: expected, actual: actual))")
        }
    }

    /// No screen of any lesson cuts a word or a number, at any width from
    /// 60 to 220 and in every layout.
    @Test(arguments: ScreenFixtures.names)
    func noWordIsEverCut(name: String) {
        for width in 60...220 {
            for height in [16, 20, 24, 30, 42] {
                for (projector, help) in [(false, false), (true, false), (false, true)] {
                    var model = ScreenFixtures.model(name)
                    model.projector = projector
                    model.showHelp = help
                    let canvas = Screen.render(&model, width: width, height: height)
                    #expect(canvas.cutWords.isEmpty, "\(name) at \(width)×\(height): cut \(canvas.cutWords)")
                }
            }
        }
    }

    /// The vanishing lesson at 130×42: all 20 blocks of both nets on screen,
    /// on one axis (a longer bar is always a larger value, across the nets),
    /// and the verdict with both accuracies and chance.
    @Test func vanishingShowsBothNetsWholeOnOneAxis() {
        var model = ScreenFixtures.model("vanishing")
        let canvas = Screen.render(&model, width: 130, height: 42)
        var bars: [(value: Double, length: Int)] = []
        for line in canvas.lines {
            // Each row holds a residual block and the twin's: "▸01 ● ████▌  2.0e-1  01 ○ ▍   5.1e-34".
            let pattern = /\d\d [●○✕] ([█▏▎▍▌▋▊▉]*) +([0-9.]+e-?[0-9]+)/
            for match in line.matches(of: pattern) {
                bars.append((Double(match.output.2)!, match.output.1.count))
            }
        }
        #expect(bars.count == 40, "\(bars.count) bars")
        let ordered = bars.sorted { $0.value < $1.value }
        #expect(zip(ordered, ordered.dropFirst()).allSatisfy { $0.length <= $1.length })
        #expect(ordered.first!.length < ordered.last!.length / 4)
        let text = canvas.lines.joined(separator: "\n")
        #expect(text.contains("residual 69.7 %") && text.contains("plain twin 33.7 %") && text.contains("chance 33.3 %"))
        #expect(text.contains("sigmoid · no norm"))
    }

    /// The heatmap's history joins the bars' axis only when the heatmap is
    /// on screen: on a small terminal, changing the hidden tab moves no bar.
    @Test func hiddenHeatmapDoesNotMoveTheBars() {
        var heatmap = ScreenFixtures.model("default")
        heatmap.tab = .heatmap
        heatmap.gradientHistory.append((1300, Array(repeating: 1e-9, count: 20)))
        var decisions = heatmap
        decisions.tab = .decisions
        #expect(Screen.render(&heatmap, width: 80, height: 24).lines == Screen.render(&decisions, width: 80, height: 24).lines)
        #expect(Screen.render(&heatmap, width: 130, height: 42).lines.joined().contains("1e-9"))
    }

    /// With 100 to 129 columns the footer still ends with `? help` and `q quit`.
    @Test func footerAlwaysKeepsHelpAndQuit() {
        for width in 60...220 {
            var model = ScreenFixtures.model("default")
            let footer = Screen.render(&model, width: width, height: 30).lines.last!
            #expect(footer.hasSuffix("? help  q quit  ") || footer.hasSuffix("? help  q quit "), "\(width): \(footer)")
        }
    }

    /// The lesson's caption, which says what to press next, is on screen
    /// whole, wrapped at words or fields, at every width from 60 columns on 20 rows or
    /// more, and from 80 columns on 16 rows; the twin's verdict keeps its
    /// first line from 20 rows on.
    @Test(arguments: ScreenFixtures.names)
    func captionIsNeverCut(name: String) {
        for width in 60...220 {
            for height in [16, 20, 24, 42] where height >= 20 || width >= 80 {
                var model = ScreenFixtures.model(name)
                let caption = LessonGuide.caption(model)
                let lines = Screen.render(&model, width: width, height: height).lines
                // Lines break at spaces or between fields (` · `): compare the words.
                func words(_ text: String) -> String { text.split(separator: " ").filter { $0 != "·" }.joined(separator: " ") }
                let text = words(lines.joined(separator: " "))
                #expect(text.contains(words(caption)), "\(name) at \(width)×\(height): \(lines.prefix(5).joined(separator: "\n"))")
                if model.verdict != nil && height >= 20 {
                    #expect(lines[1].contains("test accuracy: residual"), "\(name) at \(width)×\(height): \(lines[1])")
                }
            }
        }
    }

    /// A caption made of fields breaks between them, not inside one.
    @Test func fieldCaptionBreaksBetweenFields() {
        var model = ScreenFixtures.model("default")
        var s = model.snapshot
        s.blockModes = s.blockModes.map { _ in .residual }
        model.absorb(s)
        let lines = Screen.render(&model, width: 80, height: 24).lines
        #expect(lines[1].hasPrefix(" ↑↓ choose a block · d deletes it"), "\(lines[1])")
        #expect(lines[2].trimmingCharacters(in: .whitespaces) == "? explains every key", "\(lines[2])")
    }

    /// Below 100×30 the lesion sweep and the path report keep a panel of
    /// their own, so the caption that points to them points to something:
    /// the intact accuracy and the range that carries 90 % of the gradient
    /// are on screen at every compact size.
    @Test func compactScreensShowTheExperimentsResult() {
        for width in 60..<100 {
            for height in 16..<30 {
                var lesion = ScreenFixtures.model("lesion"), paths = ScreenFixtures.model("paths")
                let lesionText = Screen.render(&lesion, width: width, height: height).lines.joined(separator: "\n")
                let pathsText = Screen.render(&paths, width: width, height: height).lines.joined(separator: "\n")
                #expect(lesionText.contains("lesion sweep") && lesionText.contains("intact 100.0 %"), "lesion at \(width)×\(height)")
                #expect(pathsText.contains("lengths 1–5"), "paths at \(width)×\(height)")
            }
        }
        var other = ScreenFixtures.model("lesion")
        other.tab = .decisions
        #expect(Screen.render(&other, width: 80, height: 24).lines.contains { $0.contains("┌─ loss") })
    }

    /// The chosen tab's name is always in the panel's top edge: among the
    /// others when it fits with them, alone with the key to move on when not.
    @Test func chosenTabIsAlwaysNamed() {
        for width in 100...220 {
            for tab in Tab.allCases {
                var model = ScreenFixtures.model("lesion")
                model.tab = tab
                let lines = Screen.render(&model, width: width, height: 30).lines
                let edge = lines.first { $0.contains("‖∂L/∂W‖ per block") }!
                #expect(edge.contains(" \(tab.rawValue) "), "\(tab) at \(width): \(edge)")
                let named = Tab.allCases.filter { edge.contains(" \($0.rawValue) ") }
                #expect(named.count > 1 || edge.contains("tab: next panel"), "\(tab) at \(width): \(edge)")
            }
        }
    }

    /// An empty lesion or paths panel says which key fills it, wrapped at
    /// words rather than cut at the panel's edge.
    @Test func emptyPanelsNameTheirKeysWhole() {
        for width in 100...220 {
            for (tab, ending) in [(Tab.lesions, "K: delete k random blocks"), (.paths, "path length")] {
                var model = ScreenFixtures.model("default")
                model.tab = tab
                let text = Screen.render(&model, width: width, height: 30).lines.joined(separator: "\n")
                #expect(text.contains(ending), "\(tab) at \(width)")
            }
        }
    }

    /// Narrow headers drop whole fields, least important first.
    @Test func headerDropsWholeFields() {
        var model = ScreenFixtures.model("vanishing")
        let wide = Screen.render(&model, width: 200, height: 40).lines[0]
        let narrow = Screen.render(&model, width: 70, height: 40).lines[0]
        #expect(wide.contains("lr ") && wide.contains("samples/s") && wide.contains("epoch 111"))
        #expect(narrow.contains("■ finished") && narrow.contains("step 2000/2000") && narrow.contains("scope: TRAIN + eval"))
        #expect(!narrow.contains("samples/"))
    }

    /// An engine that cannot run paths gets no `P` in the footer, and the key says so.
    @Test func keysFollowTheEnginesCapabilities() {
        var model = ScreenFixtures.model("default")
        model.capabilities = [.lesionSweep, .kDeletions, .save]
        let footer = Screen.render(&model, width: 160, height: 40).lines.last!
        #expect(footer.contains("L K lesions·paths") && !footer.contains("L K P"))
        #expect(model.handle(.pathReport).commands.isEmpty)
        #expect(model.eventLog.last?.message == "this engine cannot do paths")
        #expect(model.handle(.lesionSweep).commands == [.lesionSweep])
    }

    @Test func projectorShowsOnlyTheChartsAndTheBars() {
        var model = ScreenFixtures.model("default")
        model.projector = true
        let text = Screen.render(&model, width: 130, height: 42).lines.joined(separator: "\n")
        #expect(text.contains("loss (log)") && text.contains("accuracy") && text.contains("per block"))
        #expect(!text.contains("events") && !text.contains("decision map"))
        #expect(text.contains("20 ●"))
    }

    @Test func eventLogKeepsItsHistoryAndScrolls() {
        var model = DashboardModel()
        var s = ScreenFixtures.snapshot(step: 100, depth: 4)
        s.events = (1...30).map { EngineEvent(id: $0, time: Double($0), message: "event number \($0)") }
        model.absorb(s)
        s.events = (11...40).map { EngineEvent(id: $0, time: Double($0), message: "event number \($0)") }
        model.absorb(s)
        #expect(model.eventLog.count == 40)
        let newest = Screen.render(&model, width: 120, height: 40).lines.joined(separator: "\n")
        #expect(newest.contains("event number 40") && !newest.contains("event number 30 "))
        _ = model.handle(.olderEvents)
        _ = model.handle(.olderEvents)
        let older = Screen.render(&model, width: 120, height: 40).lines.joined(separator: "\n")
        #expect(older.contains("event number 30") && !older.contains("event number 40"))
        #expect(older.contains("newer below"))
    }

    /// The twin's events arrive in their own snapshots; the log still reads in time order.
    @Test func twinEventsInterleaveByTime() {
        var model = DashboardModel()
        var residual = ScreenFixtures.snapshot(step: 100, depth: 4)
        residual.events = [EngineEvent(id: 1, time: 0.5, message: "a"), EngineEvent(id: 2, time: 3, message: "d")]
        model.absorb(residual)
        var plain = ScreenFixtures.snapshot(step: 100, depth: 4)
        plain.events = [EngineEvent(id: 1, time: 1, message: "b"), EngineEvent(id: 2, time: 3, message: "e"),
                        EngineEvent(id: 3, time: 2, message: "c")]
        model.absorbTwin(plain)
        #expect(model.eventLog.map(\.message) == ["a", "plain twin: b", "plain twin: c", "d", "plain twin: e"])
    }

    @Test func withoutColourTheSeriesDifferByLineStyle() {
        var model = ScreenFixtures.model("vanishing")
        model.colour = false
        let header = Screen.render(&model, width: 130, height: 42).lines.joined(separator: "\n")
        #expect(header.contains("━━ train") && header.contains("┈┈ val") && header.contains("─ ─ plain twin"))
    }
}
