import Figures
import Foundation

/// The dashboard as it looks, as an SVG: every cell's character in a
/// monospace font, in the theme's colours (as a 256-colour terminal shows
/// them), bold where bold, with reversed and background cells filled. For
/// slides: `x` on the dashboard writes one.
public enum ScreenSVG {
    static let cellWidth = 8.4
    static let cellHeight = 17.0
    static let font = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"
    /// What the terminal's own colours stand for when a theme leaves them to it.
    static let defaultInk = "#d0d0d0"
    static let defaultBackground = "#1c1c1c"

    /// The SVG text of `canvas` in `theme`; without `colour`, in the
    /// terminal's two default colours, as a monochrome screen shows it.
    public static func svg(_ canvas: Canvas, theme: Theme, colour: Bool) -> String {
        let background = theme.background.displayed.map(hex) ?? defaultBackground
        func ink(_ role: Role?) -> String {
            guard colour, let role, let rgb = theme.color(role).displayed else { return defaultInk }
            return hex(rgb)
        }
        let width = Double(canvas.width) * cellWidth, height = Double(canvas.height) * cellHeight
        var document = SVGDocument(width: width, height: height, background: background)
        var lines = [#"<g font-family="\#(font)" font-size="14" xml:space="preserve">"#]
        for row in 0..<canvas.height {
            let cells = Array(canvas.cells[row * canvas.width..<(row + 1) * canvas.width])
            // Runs of cells drawn alike, so the file stays small.
            var start = 0
            while start < cells.count {
                var end = start + 1
                while end < cells.count && cells[end].style == cells[start].style { end += 1 }
                let style = cells[start].style
                var (foreground, fill) = (ink(style.foreground), style.background.map { ink($0) })
                if style.reverse { (foreground, fill) = (fill ?? background, foreground) }
                let x = Double(start) * cellWidth, y = Double(row) * cellHeight
                if let fill {
                    lines.append(#"<rect x="\#(number(x))" y="\#(number(y))" width="\#(number(Double(end - start) * cellWidth))" height="\#(number(cellHeight))" fill="\#(fill)"/>"#)
                }
                let text = String(cells[start..<end].map(\.character))
                if text.contains(where: { $0 != " " }) {
                    let weight = style.bold ? #" font-weight="bold""# : ""
                    // Each run is stretched to its cells, so that a font whose
                    // glyphs are a little wider or narrower keeps the columns.
                    let length = number(Double(end - start) * cellWidth)
                    lines.append(#"<text x="\#(number(x))" y="\#(number(y + 13))" textLength="\#(length)" lengthAdjust="spacingAndGlyphs" fill="\#(foreground)"\#(weight)>\#(xmlEscaped(text))</text>"#)
                }
                start = end
            }
        }
        lines.append("</g>")
        document.add(lines.joined(separator: "\n"))
        return document.text
    }

    private static func hex(_ rgb: (UInt8, UInt8, UInt8)) -> String {
        String(format: "#%02x%02x%02x", rgb.0, rgb.1, rgb.2)
    }
}
