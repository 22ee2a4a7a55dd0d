import Foundation
import RunProtocol

/// The lesion tab: the single-block sweep as one bar per block (accuracy,
/// with a mark at the intact accuracy) above the k-deletion curve. Short of
/// six rows for both, the sweep alone.
public struct LesionView {
    public var sweep: SingleLesionResult?
    public var curve: [KDeletionResult]?
    public var progress: ExperimentProgress?

    public init(sweep: SingleLesionResult?, curve: [KDeletionResult]?, progress: ExperimentProgress?) {
        self.sweep = sweep
        self.curve = curve
        self.progress = progress
    }

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        let top = drawProgress(progress, into: &canvas, in: rect)
        guard sweep != nil || curve != nil else {
            if progress == nil {
                putHint(["L: delete each block in turn", "K: delete k random blocks"], into: &canvas, in: rect, y: top)
            }
            return
        }
        let remaining = rect.y + rect.height - top
        let curveHeight = curve == nil ? 0 : (sweep == nil ? remaining : (remaining >= 6 ? max(4, remaining - remaining / 2) : 0))
        let sweepHeight = remaining - curveHeight
        if let sweep, sweepHeight >= 2 {
            drawSweep(sweep, into: &canvas, in: Rect(x: rect.x, y: top, width: rect.width, height: sweepHeight))
        }
        if let curve, curveHeight >= 4 {
            let area = Rect(x: rect.x, y: top + sweepHeight, width: rect.width, height: curveHeight)
            putTitle(["accuracy with k random blocks deleted", "k random blocks deleted", "k deleted"],
                     into: &canvas, x: area.x + 1, y: area.y, limit: area.width - 1)
            var chart = BrailleChart(series: [ChartSeries(role: .lesioned, points: curve.map { (Double($0.k), Double($0.mean)) })])
            chart.yRange = 0...1
            chart.formatY = { String(format: "%.0f%%", 100 * $0) }
            chart.draw(into: &canvas, in: Rect(x: area.x, y: area.y + 1, width: area.width, height: area.height - 1))
        }
    }

    /// Rows of `accuracy` bars, several blocks per row when there are more blocks than rows.
    func drawSweep(_ sweep: SingleLesionResult, into canvas: inout Canvas, in rect: Rect) {
        let intact = String(format: "intact %.1f %% (│)", 100 * sweep.intact)
        var titles = ["one block deleted · " + intact, intact]
        if let downsampling = sweep.groupMeans.downsampling {
            let ordinary = String(format: "ordinary %.1f %%", 100 * sweep.groupMeans.ordinary)
            titles = [titles[0] + " · \(ordinary) · ↓ downsampling", titles[1] + " · \(ordinary) · ↓"]
                .map { $0 + String(format: " %.1f %%", 100 * downsampling) }
        }
        putTitle(titles, into: &canvas, x: rect.x + 1, y: rect.y, limit: rect.width - 1)
        let rows = rect.height - 1
        let perRow = max(1, Int((Double(sweep.accuracy.count) / Double(max(rows, 1))).rounded(.up)))
        let barWidth = rect.width - 16
        guard barWidth >= 5 else { return }
        let intactColumn = rect.x + 8 + Int(Double(sweep.intact) * Double(barWidth - 1))
        for row in 0..<min(rows, (sweep.accuracy.count + perRow - 1) / perRow) {
            let blocks = row * perRow..<min((row + 1) * perRow, sweep.accuracy.count)
            let worst = blocks.map { sweep.accuracy[$0] }.min() ?? 0
            let y = rect.y + 1 + row
            let downsampling = blocks.contains { sweep.downsampling?[$0] == true }
            let label = (blocks.count == 1 ? String(format: "%02d", blocks.lowerBound + 1)
                : String(format: "%02d-%02d", blocks.lowerBound + 1, blocks.upperBound)) + (downsampling ? "↓" : "")
            canvas.put(label, x: rect.x + 1, y: y, style: CellStyle(.dim))
            let length = Int(Double(worst) * Double(barWidth))
            canvas.put(String(repeating: "█", count: length), x: rect.x + 8, y: y,
                       style: CellStyle(worst < sweep.intact - 0.05 ? .deleted : .residual))
            canvas.put("│", x: intactColumn, y: y, style: CellStyle(.selected, bold: true))
            canvas.put(String(format: "%5.1f%%", 100 * worst), x: rect.x + 9 + barWidth, y: y, style: CellStyle(.text))
        }
    }
}

/// An empty panel's hint: each of `lines` wrapped at words to the panel's
/// width, from row `y` down, as many rows as the panel has.
func putHint(_ lines: [String], into canvas: inout Canvas, in rect: Rect, y: Int) {
    let rows = lines.flatMap { Screen.wrap($0, width: rect.width - 2) }
    for (index, line) in rows.prefix(max(0, rect.y + rect.height - y)).enumerated() {
        canvas.put(line, x: rect.x + 1, y: y + index, style: CellStyle(.dim))
    }
}

/// Writes the first of `titles` that fits in `limit` columns (the last one
/// cut, if none fits): a panel's title, longest and clearest first.
func putTitle(_ titles: [String], into canvas: inout Canvas, x: Int, y: Int, limit: Int) {
    let title = titles.first { $0.count <= limit } ?? titles.last ?? ""
    canvas.putFitted(title, x: x, y: y, style: CellStyle(.title), limit: limit)
}

/// Draws the running experiment's progress line, if any, on the first row of
/// `rect`; returns the first free row.
func drawProgress(_ progress: ExperimentProgress?, into canvas: inout Canvas, in rect: Rect) -> Int {
    guard let progress else { return rect.y }
    canvas.putFitted("running \(progress.name) \(progress.done)/\(progress.total) — c cancels", x: rect.x + 1, y: rect.y,
                     style: CellStyle(.accent, bold: true), limit: rect.width - 1)
    return rect.y + 1
}

/// The paths tab: the distribution of path lengths, the gradient per path
/// (log), and the share of the total gradient per length, with the range
/// that carries 90 % of it. Too short for three charts, it shows the last,
/// which holds the answer.
public struct PathsView {
    public var result: PathResult?
    public var progress: ExperimentProgress?

    public init(result: PathResult?, progress: ExperimentProgress?) {
        self.result = result
        self.progress = progress
    }

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        let top = drawProgress(progress, into: &canvas, in: rect)
        guard let result else {
            if progress == nil { putHint(["P: measure the gradient per path length"], into: &canvas, in: rect, y: top) }
            return
        }
        let lengths = (0...result.blocks).map(Double.init)
        let range = "\(result.effectiveRange[0])–\(result.effectiveRange[1])"
        let panels: [([String], [Double], Bool, Role)] = [
            (["paths of each length (Binomial)"], result.distribution, false, .train),
            (["gradient per path (log)"], result.gradientPerPath, true, .validation),
            (["share of the total gradient · 90 % from lengths \(range)", "90 % of the gradient: lengths \(range)",
              "90 %: lengths \(range)"],
             result.totalGradient, false, .lesioned),
        ]
        let room = rect.y + rect.height - top
        let shown = room / panels.count >= 3 ? panels[...] : panels.suffix(1)
        let height = room / shown.count
        guard height >= 3 else { return }
        for (index, (titles, values, log, role)) in shown.enumerated() {
            let y = top + index * height
            putTitle(titles, into: &canvas, x: rect.x + 1, y: y, limit: rect.width - 2)
            var chart = BrailleChart(series: [ChartSeries(role: role, points: Array(zip(lengths, values)))])
            chart.logScale = log
            chart.formatY = { String(format: log ? "%.0e" : "%.2f", $0) }
            chart.draw(into: &canvas, in: Rect(x: rect.x, y: y + 1, width: rect.width, height: height - 1))
        }
    }
}
