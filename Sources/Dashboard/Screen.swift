import Foundation
import Lab

/// Lays out and draws the whole dashboard into a canvas.
public enum Screen {
    public static let minimumWidth = 60
    public static let minimumHeight = 16
    static let fullWidth = 100
    static let fullHeight = 30

    /// The dashboard for a terminal of `width` × `height`. Records where the
    /// gradient bars are in `model`, for mouse clicks.
    public static func render(_ model: inout DashboardModel, width: Int, height: Int) -> Canvas {
        var canvas = Canvas(width: width, height: height)
        model.barRows = [:]
        guard width >= minimumWidth, height >= minimumHeight else {
            let notice = "enlarge terminal to \(minimumWidth)×\(minimumHeight) (now \(width)×\(height))"
            canvas.put(String(notice.prefix(width)), x: max(0, (width - notice.count) / 2), y: height / 2, style: CellStyle(.warning, bold: true))
            return canvas
        }
        let full = width >= fullWidth && height >= fullHeight
        header(model.snapshot, into: &canvas)
        let chartHeight = full ? max(8, height * 2 / 5) : max(6, height / 3)
        let eventHeight = full ? 5 : 0
        let middleTop = 1 + chartHeight
        let middleHeight = height - middleTop - eventHeight - 1
        let half = width / 2
        lossChart(model, into: &canvas, in: Rect(x: 0, y: 1, width: half, height: chartHeight))
        accuracyChart(model, into: &canvas, in: Rect(x: half, y: 1, width: width - half, height: chartHeight))
        let barsWidth = full ? half : width
        bars(&model, into: &canvas, in: Rect(x: 0, y: middleTop, width: barsWidth, height: middleHeight))
        if full {
            tabs(model, into: &canvas, in: Rect(x: half, y: middleTop, width: width - half, height: middleHeight))
            events(model.snapshot, into: &canvas, in: Rect(x: 0, y: height - 1 - eventHeight, width: width, height: eventHeight))
        }
        keyBar(into: &canvas, y: height - 1)
        if model.snapshot.state == .diverged { divergedBanner(model.snapshot, into: &canvas) }
        if model.showHelp { helpOverlay(model.snapshot, lesson: model.lesson, into: &canvas) }
        return canvas
    }

    // MARK: - Panels

    static func header(_ s: Snapshot, into canvas: inout Canvas) {
        let counts = Dictionary(grouping: s.blockModes, by: { $0 }).mapValues(\.count)
        let modes = BlockMode.allCases.compactMap { mode in counts[mode].map { GradientBars.glyph(mode).0 + "\($0)" } }
            .joined(separator: " ")
        let state: String
        switch s.state {
        case .training: state = "▶ training"
        case .paused: state = "⏸ paused"
        case .evaluating: state = s.experiment.map { "… \($0.name) \($0.done)/\($0.total)" } ?? "… evaluating"
        case .diverged: state = "✕ diverged"
        case .finished: state = "■ finished"
        }
        let step = s.totalSteps > 0 ? "step \(s.step)/\(s.totalSteps)" : "step \(s.step)"
        let parts = ["reslab", state, s.title, modes, step, String(format: "epoch %.1f", s.epoch),
                     "\(ProgressFormatter.rate(s.samplesPerSecond)) samples/s", String(format: "lr %.3g", s.learningRate)]
        let scope = s.scope == .eval ? " scope: eval only " : " scope: TRAIN + eval "
        canvas.fill(Rect(x: 0, y: 0, width: canvas.width, height: 1), style: CellStyle(.title, reverse: true))
        canvas.put(" " + parts.filter { !$0.isEmpty }.joined(separator: " · "), x: 0, y: 0,
                   style: CellStyle(.title, bold: true, reverse: true), limit: canvas.width - scope.count - 1)
        canvas.put(scope, x: canvas.width - scope.count, y: 0, style: CellStyle(s.scope == .eval ? .accent : .warning, bold: true, reverse: true))
    }

    /// A boxed panel whose title is a sequence of coloured legend entries.
    static func panel(_ canvas: inout Canvas, _ rect: Rect, legend: [(String, Role)]) {
        canvas.box(rect)
        var x = rect.x + 2
        for (text, role) in legend where x + text.count + 2 < rect.x + rect.width {
            canvas.put(" \(text) ", x: x, y: rect.y, style: CellStyle(role, bold: true))
            x += text.count + 2
        }
    }

    static func lossChart(_ model: DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        var legend: [(String, Role)] = [("loss\(model.logLoss ? " (log)" : "")", .title), ("━ train", .train), ("━ val", .validation)]
        var series = [ChartSeries(role: .train, points: model.trainLoss), ChartSeries(role: .validation, points: model.validationLoss)]
        if model.twin != nil {
            legend.append(("━ plain twin", .plain))
            series.append(ChartSeries(role: .plain, points: model.twinTrainLoss))
        }
        panel(&canvas, rect, legend: legend)
        var chart = BrailleChart(series: series)
        chart.logScale = model.logLoss
        chart.draw(into: &canvas, in: rect.inner)
    }

    static func accuracyChart(_ model: DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        var legend: [(String, Role)] = [("accuracy", .title), ("━ train", .train), ("━ val", .validation)]
        var series = [ChartSeries(role: .train, points: model.trainAccuracy),
                      ChartSeries(role: .validation, points: model.validationAccuracy)]
        if !model.lesionedAccuracy.isEmpty {
            legend.append(("━ lesioned", .lesioned))
            series.append(ChartSeries(role: .lesioned, points: model.lesionedAccuracy))
        }
        if model.twin != nil {
            legend.append(("━ plain twin", .plain))
            series.append(ChartSeries(role: .plain, points: model.twinValidationAccuracy))
        }
        panel(&canvas, rect, legend: legend)
        var chart = BrailleChart(series: series)
        chart.yRange = 0...1
        chart.formatY = { String(format: "%.0f%%", 100 * $0) }
        chart.draw(into: &canvas, in: rect.inner)
    }

    static func bars(_ model: inout DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        let title = model.gradientKind == .weights ? "‖∂L/∂W‖ per block (log)" : "‖∂L/∂x‖ per block (log)"
        panel(&canvas, rect, legend: [(title, .title), ("● res", .residual), ("○ plain", .plain), ("✕ del", .deleted)])
        var inner = rect.inner
        if let twin = model.twin, inner.height >= 8 {
            // The twin's bars below the network's, for side-by-side reading.
            let twinHeight = inner.height / 2
            let twinArea = Rect(x: inner.x, y: inner.y + inner.height - twinHeight, width: inner.width, height: twinHeight)
            canvas.put("plain twin", x: twinArea.x + 1, y: twinArea.y, style: CellStyle(.plain, bold: true))
            GradientBars(values: model.values(of: twin), modes: twin.blockModes, selected: -1)
                .draw(into: &canvas, in: Rect(x: twinArea.x, y: twinArea.y + 1, width: twinArea.width, height: twinHeight - 1))
            inner.height -= twinHeight
        }
        let bars = GradientBars(values: model.barValues, modes: model.snapshot.blockModes, selected: model.selectedBlock)
        bars.draw(into: &canvas, in: inner)
        let first = GradientBars.scroll(selected: model.selectedBlock, count: model.barValues.count, rows: inner.height - 1)
        for row in 0..<min(inner.height - 1, max(0, model.barValues.count - first)) {
            model.barRows[inner.y + row] = first + row
        }
    }

    static func tabs(_ model: DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        canvas.box(rect)
        var x = rect.x + 2
        for tab in Tab.allCases where x + tab.rawValue.count + 2 < rect.x + rect.width {
            let active = tab == model.tab
            canvas.put(" \(tab.rawValue) ", x: x, y: rect.y, style: CellStyle(active ? .title : .dim, bold: active, reverse: active))
            x += tab.rawValue.count + 3
        }
        let inner = rect.inner
        switch model.tab {
        case .heatmap: GradientHeatmap(columns: model.gradientHistory).draw(into: &canvas, in: inner)
        case .decisions: DecisionMapView(map: model.snapshot.decisionMap).draw(into: &canvas, in: inner)
        case .lesions:
            LesionView(sweep: model.snapshot.lesionSweep, curve: model.snapshot.kDeletions,
                       progress: model.snapshot.experiment).draw(into: &canvas, in: inner)
        case .paths:
            PathsView(result: model.snapshot.paths, progress: model.snapshot.experiment).draw(into: &canvas, in: inner)
        }
    }

    static func events(_ s: Snapshot, into canvas: inout Canvas, in rect: Rect) {
        panel(&canvas, rect, legend: [("events", .title)])
        let inner = rect.inner
        for (row, event) in s.events.suffix(inner.height).enumerated() {
            let seconds = Int(event.time)
            let stamp = String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
            canvas.put(stamp, x: inner.x + 1, y: inner.y + row, style: CellStyle(.dim))
            canvas.put(event.message, x: inner.x + 10, y: inner.y + row, style: CellStyle(.text), limit: inner.width - 11)
        }
    }

    static func keyBar(into canvas: inout Canvas, y: Int) {
        let keys = [("space", "pause"), ("↑↓", "block"), ("s", "skip"), ("d", "delete"), ("a", "all skips"),
                    ("r", "restore"), ("m", "scope"), ("L K P", "lesions·paths"), ("tab", "panel"), ("?", "help"), ("q", "quit")]
        var x = 1
        for (key, meaning) in keys where x + key.count + meaning.count + 3 <= canvas.width {
            canvas.put(key, x: x, y: y, style: CellStyle(.accent, bold: true))
            canvas.put(meaning, x: x + key.count + 1, y: y, style: CellStyle(.dim))
            x += key.count + meaning.count + 3
        }
    }

    static func centredBox(_ lines: [String], title: String, role: Role, into canvas: inout Canvas) {
        let width = min(canvas.width - 2, (lines.map(\.count).max() ?? 0) + 4)
        let height = min(canvas.height - 2, lines.count + 2)
        let rect = Rect(x: (canvas.width - width) / 2, y: (canvas.height - height) / 2, width: width, height: height)
        canvas.fill(rect)
        canvas.box(rect, title: title, style: CellStyle(role, bold: true))
        for (row, line) in lines.prefix(height - 2).enumerated() {
            canvas.put(line, x: rect.x + 2, y: rect.y + 1 + row, style: CellStyle(.text), limit: width - 4)
        }
    }

    static func divergedBanner(_ s: Snapshot, into canvas: inout Canvas) {
        centredBox(["The loss became NaN or infinite at step \(s.step); training is paused.",
                    "Press - to halve the learning rate (now \(String(format: "%.3g", s.learningRate))), then R to reset."],
                   title: "diverged", role: .warning, into: &canvas)
    }

    static func helpOverlay(_ s: Snapshot, lesson: String?, into canvas: inout Canvas) {
        let explanation = lesson.map { ["", "This lesson:"] + wrap($0, width: 70) } ?? []
        centredBox(KeyMap.help(scope: s.scope) + explanation, title: "help", role: .title, into: &canvas)
    }

    /// `text` broken into lines of at most `width` characters, at spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + word.count + 1 > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        return line.isEmpty ? lines : lines + [line]
    }
}
