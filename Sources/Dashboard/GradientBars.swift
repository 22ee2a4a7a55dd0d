import Foundation
import RunProtocol

/// One column of gradient bars, a bar per block on a shared `LogAxis`: the
/// block's number, its mode as a glyph, the bar (length and colour from the
/// value's place on the axis) and the value. The last row is the axis.
public struct GradientBars {
    public var values: [Float]
    public var modes: [BlockMode]
    /// The highlighted block, or -1.
    public var selected: Int
    /// The first block shown (when there are more blocks than rows).
    public var first: Int
    public var axis: LogAxis

    public init(values: [Float], modes: [BlockMode], selected: Int, first: Int = 0, axis: LogAxis) {
        self.values = values
        self.modes = modes
        self.selected = selected
        self.first = first
        self.axis = axis
    }

    /// The glyph of a mode: ● residual (skip on), ○ plain (skip off), ✕ deleted.
    public static func glyph(_ mode: BlockMode) -> (String, Role) {
        switch mode {
        case .residual: return ("●", .residual)
        case .plain: return ("○", .plain)
        case .deleted: return ("✕", .deleted)
        }
    }

    /// The first row shown, so that `selected` is visible in `rows` rows.
    public static func scroll(selected: Int, count: Int, rows: Int) -> Int {
        guard count > rows, rows > 0 else { return 0 }
        return min(max(0, selected - rows / 2), count - rows)
    }

    static let prefixWidth = 6
    static let valueWidth = 8
    /// The narrowest column that still has room for a bar.
    static let minimumWidth = prefixWidth + valueWidth + 6

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        guard rect.height >= 2, rect.width >= Self.minimumWidth else { return }
        let barWidth = rect.width - Self.prefixWidth - Self.valueWidth
        let barX = rect.x + Self.prefixWidth
        let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        for row in 0..<min(rect.height - 1, values.count - first) {
            let index = first + row
            let y = rect.y + row
            let isSelected = index == selected
            canvas.put(isSelected ? "▸" : " ", x: rect.x, y: y, style: CellStyle(.selected, bold: true))
            canvas.put(String(format: "%02d", index + 1), x: rect.x + 1, y: y,
                       style: CellStyle(isSelected ? .selected : .dim, bold: isSelected))
            let (glyph, role) = Self.glyph(modes.indices.contains(index) ? modes[index] : .residual)
            canvas.put(glyph, x: rect.x + 4, y: y, style: CellStyle(role, bold: true))
            let value = values[index]
            guard let fraction = axis.fraction(value) else {
                // Zero is a gradient below float32's smallest number, not an absent one.
                let note = value == 0 ? "0 · underflow" : "—"
                canvas.putFitted(note, x: barX, y: y, style: CellStyle(.dim), limit: barWidth + Self.valueWidth)
                continue
            }
            let length = fraction * Double(barWidth)
            let whole = Int(length), part = Int((length - Double(whole)) * 8)
            let bar = String(repeating: "█", count: whole) + (whole < barWidth ? eighths[part] : "")
            canvas.put(bar.isEmpty ? "▏" : bar, x: barX, y: y, style: CellStyle(axis.role(value, among: Role.bar)), limit: barWidth)
            let text = NumberFormat.scientific(Double(value))
            canvas.put(text, x: rect.x + rect.width - text.count, y: y, style: CellStyle(.text))
        }
        drawAxis(into: &canvas, x: barX, y: rect.y + rect.height - 1, length: barWidth, end: rect.x + rect.width)
    }

    /// Tick marks under the bars, with labels that never overlap.
    func drawAxis(into canvas: inout Canvas, x: Int, y: Int, length: Int, end: Int) {
        var nextFree = x
        for tick in axis.ticks(length: length) {
            canvas.put("╵", x: x + tick.offset, y: y, style: CellStyle(.dim))
            // The label follows its mark, or ends just before it at the far end.
            var start = x + tick.offset + 1
            if start + tick.label.count > end { start = x + tick.offset - tick.label.count }
            guard start >= nextFree else { continue }
            canvas.put(tick.label, x: start, y: y, style: CellStyle(.dim))
            nextFree = start + tick.label.count + 1
        }
    }
}
