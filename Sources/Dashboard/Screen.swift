import Foundation
import RunProtocol

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
            canvas.putFitted(notice, x: max(0, (width - notice.count) / 2), y: height / 2,
                             style: CellStyle(.warning, bold: true), limit: width)
            return canvas
        }
        Header.draw(model.snapshot, lost: model.lostEngine, into: &canvas)
        let strip = captionStrip(model, width: width, room: height >= 24 ? 4 : height >= 20 ? 3 : 2)
        for (row, line) in (strip.verdict + strip.caption).enumerated() {
            let isVerdict = row < strip.verdict.count
            canvas.fill(Rect(x: 0, y: 1 + row, width: width, height: 1), style: CellStyle(isVerdict ? .title : .text, reverse: isVerdict))
            canvas.put(" " + line, x: 0, y: 1 + row, style: CellStyle(isVerdict ? .title : .accent, bold: true, reverse: isVerdict))
        }
        let stripHeight = strip.verdict.count + strip.caption.count
        let body = Rect(x: 0, y: 1 + stripHeight, width: width, height: height - 2 - stripHeight)
        let full = width >= fullWidth && height >= fullHeight
        if model.projector {
            projectorLayout(&model, into: &canvas, in: body)
        } else if full {
            fullLayout(&model, into: &canvas, in: body)
        } else {
            compactLayout(&model, into: &canvas, in: body)
        }
        KeyBar.draw(into: &canvas, y: height - 1, capabilities: model.capabilities)
        if model.snapshot.state == .diverged { divergedBanner(model.snapshot, into: &canvas) }
        if model.showHelp { helpOverlay(model, into: &canvas) }
        return canvas
    }

    // MARK: - Layouts

    /// The rows the bars panel needs to show every block of both nets.
    static func barsHeight(_ model: DashboardModel) -> Int {
        model.blockCount + (model.twin == nil ? 1 : 2) + 2
    }

    /// Charts on top, the bars beside the tabbed panel, the event log below.
    static func fullLayout(_ model: inout DashboardModel, into canvas: inout Canvas, in body: Rect) {
        let eventHeight = max(5, body.height / 8)
        let room = body.height - eventHeight
        let chartHeight = min(max(8, room - barsHeight(model)), room * 2 / 5 + 4, room - 8)
        charts(model, into: &canvas, in: Rect(x: body.x, y: body.y, width: body.width, height: chartHeight))
        let middle = Rect(x: body.x, y: body.y + chartHeight, width: body.width, height: room - chartHeight)
        let barsWidth = model.twin == nil ? body.width / 2 : body.width * 3 / 5
        bars(&model, into: &canvas, in: Rect(x: middle.x, y: middle.y, width: barsWidth, height: middle.height))
        tabs(model, into: &canvas, in: Rect(x: barsWidth, y: middle.y, width: body.width - barsWidth, height: middle.height))
        EventLogView.draw(model, into: &canvas, in: Rect(x: body.x, y: body.y + room, width: body.width, height: eventHeight))
    }

    /// Charts and bars only, for terminals smaller than 100×30. Once a lesion
    /// sweep or a path report has been asked for, its panel takes the loss
    /// chart's place, so the lesson it belongs to stays on screen.
    static func compactLayout(_ model: inout DashboardModel, into canvas: inout Canvas, in body: Rect) {
        if showsExperimentPanel(model) {
            let chartHeight = body.height / 2, half = body.width / 2
            accuracyChart(model, into: &canvas, in: Rect(x: body.x, y: body.y, width: half, height: chartHeight))
            let panelRect = Rect(x: body.x + half, y: body.y, width: body.width - half, height: chartHeight)
            panel(&canvas, panelRect, legend: [(model.tab.rawValue, .title)])
            tabContent(model, into: &canvas, in: panelRect.inner)
            bars(&model, into: &canvas, in: Rect(x: body.x, y: body.y + chartHeight, width: body.width, height: body.height - chartHeight))
            return
        }
        let chartHeight = min(max(6, body.height - barsHeight(model)), body.height / 2)
        charts(model, into: &canvas, in: Rect(x: body.x, y: body.y, width: body.width, height: chartHeight))
        bars(&model, into: &canvas, in: Rect(x: body.x, y: body.y + chartHeight, width: body.width, height: body.height - chartHeight))
    }

    /// For a projector: the two charts and the bars, as large as the terminal allows.
    static func projectorLayout(_ model: inout DashboardModel, into canvas: inout Canvas, in body: Rect) {
        let chartHeight = max(6, min(body.height - barsHeight(model), body.height * 11 / 20))
        charts(model, into: &canvas, in: Rect(x: body.x, y: body.y, width: body.width, height: max(6, chartHeight)))
        bars(&model, into: &canvas, in: Rect(x: body.x, y: body.y + chartHeight, width: body.width, height: body.height - chartHeight))
    }

    /// The lesson's caption, wrapped at words, below the verdict of a
    /// finished twin run, wrapped at its fields: at most `room` lines of the
    /// screen's width. The caption takes its lines first, so what to press
    /// next is never cut while there is room for it; the verdict gets the rest.
    /// A caption of fields (`a · b · c`) breaks between fields when each fits.
    static func captionStrip(_ model: DashboardModel, width: Int, room: Int) -> (verdict: [String], caption: [String]) {
        let text = LessonGuide.caption(model)
        let fields = text.components(separatedBy: " · ")
        var caption = fields.allSatisfy { $0.count <= width - 2 }
            ? wrapFields(fields, width: width - 2) : wrap(text, width: width - 2)
        if caption.count > room {
            caption = Array(caption.prefix(room - 1)) + [caption[(room - 1)...].joined(separator: " ")]
        }
        let verdict = model.verdict.map { wrapFields($0.fields, width: width - 2) } ?? []
        let lines = verdict.prefix(room - caption.count) + caption
        let fittedLines = lines.map { fitted($0, width: width - 2) }
        return (Array(fittedLines.dropLast(caption.count)), Array(fittedLines.suffix(caption.count)))
    }

    /// `fields` joined with `separator`, broken into lines of at most
    /// `width` characters between fields.
    static func wrapFields(_ fields: [String], width: Int, separator: String = " · ") -> [String] {
        var lines: [String] = []
        for field in fields {
            if let last = lines.last, last.count + separator.count + field.count <= width {
                lines[lines.count - 1] = last + separator + field
            } else {
                lines.append(field)
            }
        }
        return lines
    }

    /// `text` shortened at a space, with `…`, to at most `width` characters.
    static func fitted(_ text: String, width: Int) -> String {
        var canvas = Canvas(width: width, height: 1)
        canvas.putFitted(text, x: 0, y: 0, limit: width)
        return canvas.lines[0].trimmingCharacters(in: .whitespaces)
    }

    // MARK: - Panels

    /// A boxed panel whose title is a sequence of legend entries, each
    /// whole: the `compact` ones when the full ones do not all fit.
    static func panel(_ canvas: inout Canvas, _ rect: Rect, legend full: [(String, Role)], compact: [(String, Role)]? = nil) {
        canvas.box(rect)
        let fits = full.reduce(2) { $0 + $1.0.count + 2 } < rect.width
        let legend = fits ? full : compact ?? full
        var x = rect.x + 2
        for (text, role) in legend where x + text.count + 2 < rect.x + rect.width {
            canvas.put(" \(text) ", x: x, y: rect.y, style: CellStyle(role, bold: true))
            x += text.count + 2
        }
    }

    /// The loss chart beside the accuracy chart.
    static func charts(_ model: DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        let half = rect.width / 2
        lossChart(model, into: &canvas, in: Rect(x: rect.x, y: rect.y, width: half, height: rect.height))
        accuracyChart(model, into: &canvas, in: Rect(x: rect.x + half, y: rect.y, width: rect.width - half, height: rect.height))
    }

    /// Each series keeps its line style everywhere, and its legend shows it.
    static let trainStyle = LineStyle.solid, validationStyle = LineStyle.dotted
    static let lesionedStyle = LineStyle.dashed, twinStyle = LineStyle.longDashed

    static func lossChart(_ model: DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        var legend: [(String, Role)] = [("loss\(model.logLoss ? " (log)" : "")", .title),
                                        ("\(trainStyle.legend) train", .train), ("\(validationStyle.legend) val", .validation)]
        var series = [ChartSeries(role: .train, style: trainStyle, points: model.trainLoss),
                      ChartSeries(role: .validation, style: validationStyle, points: model.validationLoss)]
        if model.twin != nil {
            legend.append(("\(twinStyle.legend) plain twin", .plain))
            series.append(ChartSeries(role: .plain, style: twinStyle, points: model.twinTrainLoss))
        }
        panel(&canvas, rect, legend: legend, compact: compactLegend(legend, title: "loss"))
        var chart = BrailleChart(series: series)
        chart.logScale = model.logLoss
        chart.draw(into: &canvas, in: rect.inner)
    }

    static func accuracyChart(_ model: DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        var legend: [(String, Role)] = [("accuracy", .title), ("\(trainStyle.legend) train", .train),
                                        ("\(validationStyle.legend) val", .validation)]
        var series = [ChartSeries(role: .train, style: trainStyle, points: model.trainAccuracy),
                      ChartSeries(role: .validation, style: validationStyle, points: model.validationAccuracy)]
        if !model.lesionedAccuracy.isEmpty {
            legend.append(("\(lesionedStyle.legend) lesioned", .lesioned))
            series.append(ChartSeries(role: .lesioned, style: lesionedStyle, points: model.lesionedAccuracy))
        }
        if model.twin != nil {
            legend.append(("\(twinStyle.legend) plain twin val", .plain))
            series.append(ChartSeries(role: .plain, style: twinStyle, points: model.twinValidationAccuracy))
        }
        panel(&canvas, rect, legend: legend, compact: compactLegend(legend, title: "acc"))
        var chart = BrailleChart(series: series)
        chart.yRange = 0...1
        chart.formatY = { String(format: "%.0f%%", 100 * $0) }
        chart.draw(into: &canvas, in: rect.inner)
    }

    /// A narrow chart's legend: a short title and short names, every series kept.
    static func compactLegend(_ legend: [(String, Role)], title: String) -> [(String, Role)] {
        [(title, legend[0].1)] + legend.dropFirst().map { text, role in
            (text.replacingOccurrences(of: "plain twin val", with: "twin").replacingOccurrences(of: "plain twin", with: "twin")
                .replacingOccurrences(of: "lesioned", with: "lesion"), role)
        }
    }

    /// The gradient bars of the network, and of its twin beside them, on one axis.
    static func bars(_ model: inout DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        let title = model.gradientKind == .weights ? "‖∂L/∂W‖ per block" : "‖∂L/∂x‖ per block"
        panel(&canvas, rect, legend: [(title + " (log, one axis)", .title), ("● res", .residual), ("○ plain", .plain), ("✕ del", .deleted)])
        let inner = rect.inner
        let axis = model.gradientAxis(withHeatmap: showsHeatmap(model, width: canvas.width, height: canvas.height))
        let count = model.barValues.count
        var main = inner
        if let twin = model.twin {
            let twinValues = model.values(of: twin, kind: model.gradientKind)
            let sideBySide = inner.width >= 2 * GradientBars.minimumWidth + 1
            let columnWidth = sideBySide ? (inner.width - 1) / 2 : inner.width
            let columnHeight = sideBySide ? inner.height - 1 : (inner.height - 2) / 2
            guard columnHeight >= 2 else { return }
            main = Rect(x: inner.x, y: inner.y + 1, width: columnWidth, height: columnHeight)
            let other = sideBySide
                ? Rect(x: inner.x + columnWidth + 1, y: inner.y + 1, width: inner.width - columnWidth - 1, height: columnHeight)
                : Rect(x: inner.x, y: main.y + columnHeight + 1, width: inner.width, height: inner.height - columnHeight - 2)
            canvas.put("residual", x: main.x + 1, y: main.y - 1, style: CellStyle(.residual, bold: true))
            canvas.put("plain twin", x: other.x + 1, y: other.y - 1, style: CellStyle(.plain, bold: true))
            let first = GradientBars.scroll(selected: model.selectedBlock, count: count, rows: min(main.height, other.height) - 1)
            GradientBars(values: twinValues, modes: twin.blockModes, selected: -1, first: first, axis: axis)
                .draw(into: &canvas, in: other)
            GradientBars(values: model.barValues, modes: model.snapshot.blockModes, selected: model.selectedBlock,
                         first: first, axis: axis).draw(into: &canvas, in: main)
            record(&model, first: first, rows: main.height - 1, top: main.y)
            return
        }
        let first = GradientBars.scroll(selected: model.selectedBlock, count: count, rows: main.height - 1)
        GradientBars(values: model.barValues, modes: model.snapshot.blockModes, selected: model.selectedBlock,
                     first: first, axis: axis).draw(into: &canvas, in: main)
        record(&model, first: first, rows: main.height - 1, top: main.y)
    }

    /// Whether the heatmap is on screen beside the bars (and so shares their axis).
    static func showsHeatmap(_ model: DashboardModel, width: Int, height: Int) -> Bool {
        model.tab == .heatmap && !model.projector && width >= fullWidth && height >= fullHeight
    }

    /// Remembers which block each bar row shows, for mouse clicks.
    static func record(_ model: inout DashboardModel, first: Int, rows: Int, top: Int) {
        for row in 0..<max(0, min(rows, model.barValues.count - first)) { model.barRows[top + row] = first + row }
    }

    /// The tabbed panel: the tabs' names in its top edge, as many as fit,
    /// and the chosen one's content inside. When the chosen name is not
    /// among those that fit, it stands alone, with the key that moves on.
    static func tabs(_ model: DashboardModel, into canvas: inout Canvas, in rect: Rect) {
        canvas.box(rect)
        // Each name takes its length and three columns: its padding and the gap.
        var fitting: [Tab] = [], used = 0
        for tab in Tab.allCases {
            used += tab.rawValue.count + 3
            guard used < rect.width - 2 else { break }
            fitting.append(tab)
        }
        let shown = fitting.contains(model.tab) ? fitting : [model.tab]
        var x = rect.x + 2
        for tab in shown {
            let active = tab == model.tab
            canvas.put(" \(tab.rawValue) ", x: x, y: rect.y, style: CellStyle(active ? .title : .dim, bold: active, reverse: active))
            x += tab.rawValue.count + 3
        }
        let hint = " tab: next panel "
        if shown.count == 1 && x + hint.count < rect.x + rect.width { canvas.put(hint, x: x, y: rect.y, style: CellStyle(.dim)) }
        tabContent(model, into: &canvas, in: rect.inner)
    }

    /// Whether the lesion or paths tab is chosen and has a result or a
    /// running experiment to show.
    static func showsExperimentPanel(_ model: DashboardModel) -> Bool {
        let s = model.snapshot
        switch model.tab {
        case .lesions: return s.lesionSweep != nil || s.kDeletions != nil || s.experiment != nil
        case .paths: return s.paths != nil || s.experiment != nil
        case .heatmap, .decisions: return false
        }
    }

    /// The chosen tab's content, inside its frame.
    static func tabContent(_ model: DashboardModel, into canvas: inout Canvas, in inner: Rect) {
        switch model.tab {
        case .heatmap:
            GradientHeatmap(columns: model.gradientHistory, axis: model.gradientAxis(withHeatmap: true), colour: model.colour)
                .draw(into: &canvas, in: inner)
        case .decisions: DecisionMapView(map: model.snapshot.decisionMap, colour: model.colour).draw(into: &canvas, in: inner)
        case .lesions:
            LesionView(sweep: model.snapshot.lesionSweep, curve: model.snapshot.kDeletions,
                       progress: model.snapshot.experiment).draw(into: &canvas, in: inner)
        case .paths:
            PathsView(result: model.snapshot.paths, progress: model.snapshot.experiment).draw(into: &canvas, in: inner)
        }
    }

    static func centredBox(_ lines: [String], title: String, role: Role, into canvas: inout Canvas) {
        let width = min(canvas.width - 2, (lines.map(\.count).max() ?? 0) + 4)
        let height = min(canvas.height - 2, lines.count + 2)
        let rect = Rect(x: (canvas.width - width) / 2, y: (canvas.height - height) / 2, width: width, height: height)
        canvas.fill(rect)
        canvas.box(rect, title: title, style: CellStyle(role, bold: true))
        for (row, line) in lines.prefix(height - 2).enumerated() {
            canvas.putFitted(line, x: rect.x + 2, y: rect.y + 1 + row, style: CellStyle(.text), limit: width - 4)
        }
    }

    static func divergedBanner(_ s: Snapshot, into canvas: inout Canvas) {
        centredBox(wrap("The loss became NaN or infinite at step \(s.step); training is paused. Press - to halve the "
                        + "learning rate (now \(NumberFormat.compact(Double(s.learningRate)))), then R to reset.",
                        width: min(70, canvas.width - 6)),
                   title: "diverged", role: .warning, into: &canvas)
    }

    static func helpOverlay(_ model: DashboardModel, into canvas: inout Canvas) {
        let width = min(72, canvas.width - 6)
        let explanation = model.preset.map { ["", "This lesson (--preset \($0.rawValue)):"] + wrap($0.lesson, width: width) } ?? []
        centredBox(KeyMap.help(scope: model.snapshot.scope) + explanation, title: "help · ? or Esc closes", role: .title, into: &canvas)
    }

    /// `text` broken into lines of at most `width` characters, at spaces.
    static func wrap(_ text: String, width: Int) -> [String] {
        wrapFields(text.split(separator: " ").map(String.init), width: width, separator: " ")
    }
}
