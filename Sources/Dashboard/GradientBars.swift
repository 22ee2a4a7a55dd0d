import Foundation
import Lab

/// One bar per block on a log axis with decade ticks: the gradient norm of
/// each block, its mode as a glyph, the selected block marked. Scrolls to
/// keep the selected block visible when there are more blocks than rows.
public struct GradientBars {
    public var values: [Float]
    public var modes: [BlockMode]
    public var selected: Int

    public init(values: [Float], modes: [BlockMode], selected: Int) {
        self.values = values
        self.modes = modes
        self.selected = selected
    }

    /// The glyph of a mode: ● residual (skip on), ○ plain (skip off), ✕ deleted.
    public static func glyph(_ mode: BlockMode) -> (String, Role) {
        switch mode {
        case .residual: return ("●", .residual)
        case .plain: return ("○", .plain)
        case .deleted: return ("✕", .deleted)
        }
    }

    /// The decades the axis spans: from below the smallest positive value to
    /// above the largest, at least two decades.
    static func decades(_ values: [Float]) -> ClosedRange<Int> {
        let positive = values.filter { $0 > 0 && $0.isFinite }.map { log10(Double($0)) }
        guard let low = positive.min(), let high = positive.max() else { return -4...0 }
        let lower = Int(floor(low)), upper = max(Int(ceil(high)), lower + 2)
        return lower...upper
    }

    /// The first row shown, so that `selected` is visible in `rows` rows.
    static func scroll(selected: Int, count: Int, rows: Int) -> Int {
        guard count > rows, rows > 0 else { return 0 }
        return min(max(0, selected - rows / 2), count - rows)
    }

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        guard rect.height >= 2, rect.width >= 24 else { return }
        let rows = rect.height - 1
        let first = Self.scroll(selected: selected, count: values.count, rows: rows)
        let span = Self.decades(values)
        let prefix = 7, suffix = 8
        let barWidth = rect.width - prefix - suffix
        guard barWidth >= 4 else { return }
        let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        for row in 0..<min(rows, values.count - first) {
            let index = first + row
            let y = rect.y + row
            let isSelected = index == selected
            canvas.put(isSelected ? "▸" : " ", x: rect.x, y: y, style: CellStyle(.selected, bold: true))
            canvas.put(String(format: "%02d", index + 1), x: rect.x + 1, y: y, style: CellStyle(isSelected ? .selected : .dim, bold: isSelected))
            let (glyph, role) = Self.glyph(modes.indices.contains(index) ? modes[index] : .residual)
            canvas.put(glyph, x: rect.x + 4, y: y, style: CellStyle(role, bold: true))
            let value = values[index]
            guard value > 0, value.isFinite else {
                canvas.put(value == 0 ? "no gradient" : "—", x: rect.x + prefix, y: y, style: CellStyle(.dim))
                continue
            }
            let fraction = (log10(Double(value)) - Double(span.lowerBound)) / Double(span.upperBound - span.lowerBound)
            let length = max(0, min(1, fraction)) * Double(barWidth)
            let whole = Int(length), part = Int((length - Double(whole)) * 8)
            let bar = String(repeating: "█", count: whole) + (whole < barWidth ? eighths[part] : "")
            canvas.put(bar, x: rect.x + prefix, y: y, style: CellStyle(fraction < 0.5 ? .barLow : .barHigh), limit: barWidth)
            canvas.put(String(format: "%7.1e", value), x: rect.x + prefix + barWidth + 1, y: y, style: CellStyle(.text))
        }
        // Decade ticks under the bars (every few decades when they span many),
        // labelled where there is room.
        let axisY = rect.y + rect.height - 1
        let decadeCount = max(span.upperBound - span.lowerBound, 1)
        let every = max(1, Int((Double(decadeCount) / Double(max(1, barWidth / 6))).rounded(.up)))
        let ticks = stride(from: 0, through: decadeCount, by: every).map { offset in
            (x: rect.x + prefix + offset * (barWidth - 1) / decadeCount, label: "1e\(span.lowerBound + offset)")
        }
        for tick in ticks { canvas.put("╵", x: tick.x, y: axisY, style: CellStyle(.dim)) }
        var nextFree = rect.x + prefix
        for tick in ticks {
            let start = min(tick.x + 1, rect.x + prefix + barWidth + suffix - tick.label.count)
            guard start >= nextFree else { continue }
            canvas.put(tick.label, x: start, y: axisY, style: CellStyle(.dim))
            nextFree = start + tick.label.count + 1
        }
    }
}
