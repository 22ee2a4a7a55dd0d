import Foundation

/// Gradient flow over time: one row of pixels per block, one column per
/// snapshot, coloured by log norm. Two blocks share a character cell
/// through the upper half block `▀` (foreground above, background below).
public struct GradientHeatmap {
    /// `columns[t][block]`, oldest first.
    public var columns: [[Float]]

    public init(columns: [[Float]]) { self.columns = columns }

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        guard rect.width > 8, rect.height > 1, let blocks = columns.last?.count, blocks > 0 else {
            canvas.put("gradient history appears here", x: rect.x + 1, y: rect.y, style: CellStyle(.dim))
            return
        }
        let visible = Array(columns.suffix(rect.width - 4))
        let logs = visible.flatMap { $0 }.filter { $0 > 0 && $0.isFinite }.map { log10(Double($0)) }
        let low = logs.min() ?? 0, high = max(logs.max() ?? 1, low + 1e-6)
        func role(_ column: [Float], _ block: Int) -> Role {
            guard block < column.count, column[block] > 0, column[block].isFinite else { return .heat0 }
            let t = (log10(Double(column[block])) - low) / (high - low)
            return Role.heat[min(Role.heat.count - 1, max(0, Int(t * Double(Role.heat.count))))]
        }
        let rowsNeeded = (blocks + 1) / 2
        let rowsShown = rowsNeeded > rect.height ? rect.height - 1 : rowsNeeded
        for row in 0..<rowsShown {
            let top = 2 * row, bottom = 2 * row + 1
            canvas.put(String(format: "%02d", top + 1), x: rect.x, y: rect.y + row, style: CellStyle(.dim))
            for (t, column) in visible.enumerated() {
                let style = CellStyle(role(column, top), background: bottom < blocks ? role(column, bottom) : nil)
                canvas[rect.x + 3 + t, rect.y + row] = Cell(character: "▀", style: style)
            }
        }
        if rowsShown < rowsNeeded {
            canvas.put("… and blocks \(2 * rowsShown + 1)–\(blocks), not shown", x: rect.x + 3, y: rect.y + rowsShown, style: CellStyle(.dim))
        }
    }
}
