import Foundation

/// Gradient flow over time: one row of pixels per block, one column per
/// snapshot, coloured by the norm's place on the shared `LogAxis`. In colour
/// two blocks share a character cell through the upper half block `▀`
/// (foreground above, background below); without colour each block has a
/// row of shade characters, darkest lowest. Below: the colour scale and the
/// steps the columns span.
public struct GradientHeatmap {
    /// `columns[t]`: the step and each block's norm, oldest first.
    public var columns: [(step: Int, norms: [Float])]
    public var axis: LogAxis
    public var colour: Bool

    public init(columns: [(step: Int, norms: [Float])], axis: LogAxis, colour: Bool) {
        self.columns = columns
        self.axis = axis
        self.colour = colour
    }

    /// Shades from the lowest to the highest band, for screens without colour.
    static let shades: [Character] = [" ", "·", "░", "▒", "▓", "█"]

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        guard rect.width > 16, rect.height > 3, let blocks = columns.last?.norms.count, blocks > 0 else {
            canvas.putFitted("gradient history appears here", x: rect.x + 1, y: rect.y, style: CellStyle(.dim), limit: rect.width - 1)
            return
        }
        let visible = Array(columns.suffix(rect.width - 4))
        func band(_ norms: [Float], _ block: Int) -> Int {
            guard block < norms.count, let fraction = axis.fraction(norms[block]) else { return 0 }
            return min(Role.heat.count - 1, Int(fraction * Double(Role.heat.count)))
        }
        let blocksPerRow = colour ? 2 : 1
        let rowsNeeded = (blocks + blocksPerRow - 1) / blocksPerRow
        let rowsShown = min(rowsNeeded, rect.height - 2)
        for row in 0..<rowsShown {
            let top = blocksPerRow * row
            canvas.put(String(format: "%02d", top + 1), x: rect.x, y: rect.y + row, style: CellStyle(.dim))
            for (t, column) in visible.enumerated() {
                let cell: Cell
                if colour {
                    let below = top + 1 < blocks ? Role.heat[band(column.norms, top + 1)] : nil
                    cell = Cell(character: "▀", style: CellStyle(Role.heat[band(column.norms, top)], background: below))
                } else {
                    cell = Cell(character: Self.shades[band(column.norms, top)], style: CellStyle(.text))
                }
                canvas[rect.x + 3 + t, rect.y + row] = cell
            }
        }
        var y = rect.y + rowsShown
        if rowsShown < rowsNeeded {
            canvas.putFitted("… blocks \(blocksPerRow * rowsShown + 1)–\(blocks) below the panel", x: rect.x + 3, y: y,
                             style: CellStyle(.dim), limit: rect.width - 3)
            y += 1
        }
        if let first = visible.first?.step, let last = visible.last?.step, y < rect.y + rect.height {
            let steps = "step \(first) → \(last)"
            canvas.put(steps, x: rect.x + 3, y: y, style: CellStyle(.dim), limit: rect.width - 3)
            drawScale(into: &canvas, y: y, from: rect.x + 3 + steps.count + 2, to: rect.x + rect.width)
        }
    }

    /// `1e-21 ▀▀▀▀▀▀ 1`: the colours (or shades) from the axis's lowest decade to its highest.
    func drawScale(into canvas: inout Canvas, y: Int, from start: Int, to end: Int) {
        let low = NumberFormat.decade(axis.lower), high = NumberFormat.decade(axis.upper)
        let swatch = Role.heat.count
        guard end - start >= low.count + high.count + swatch + 2 else { return }
        var x = end - (low.count + high.count + swatch + 2)
        canvas.put(low, x: x, y: y, style: CellStyle(.dim))
        x += low.count + 1
        for (band, role) in Role.heat.enumerated() {
            canvas[x + band, y] = colour ? Cell(character: "█", style: CellStyle(role))
                : Cell(character: Self.shades[band] == " " ? "_" : Self.shades[band], style: CellStyle(.text))
        }
        canvas.put(high, x: x + swatch + 1, y: y, style: CellStyle(.dim))
    }
}
