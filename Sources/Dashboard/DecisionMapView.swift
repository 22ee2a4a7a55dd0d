import RunProtocol

/// Class regions of a 2-D dataset with the validation points over them,
/// each point in its true class's colour: `•` where the network is right,
/// `×` where it is wrong. In colour, regions are half blocks (two pixels a
/// cell); without colour, each class has its own shade and each point its
/// class's letter (in reverse video where the network is wrong). A legend
/// names the classes.
public struct DecisionMapView {
    public var map: DecisionMap?
    public var colour: Bool

    public init(map: DecisionMap?, colour: Bool) {
        self.map = map
        self.colour = colour
    }

    /// Region shades per class, for screens without colour.
    static let shades: [Character] = [" ", "░", "▒", "▓", "·", ":"]

    /// The letter of a class on screens without colour.
    static func letter(_ label: Int) -> String { String(UnicodeScalar(UInt8(65 + label % 26))) }

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        guard let map, rect.width > 2, rect.height > 2 else {
            canvas.putFitted("decision map: 2-D datasets only", x: rect.x + 1, y: rect.y, style: CellStyle(.dim), limit: rect.width - 1)
            return
        }
        let area = Rect(x: rect.x, y: rect.y, width: rect.width, height: rect.height - 1)
        // A square plot: a cell is two pixels high (colour) or one cell is one sample (shades).
        let side = min(area.width, area.height * 2)
        let origin = area.x + (area.width - side) / 2
        func classAt(_ px: Int, _ py: Int) -> Int {
            let column = min(map.resolution - 1, max(0, px * map.resolution / side))
            let row = min(map.resolution - 1, max(0, py * map.resolution / side))
            return Int(map.classes[row * map.resolution + column])
        }
        func role(_ label: Int) -> Role { Role.classes[label % Role.classes.count] }
        for row in 0..<side / 2 {
            for column in 0..<side {
                canvas[origin + column, area.y + row] = colour
                    ? Cell(character: "▀", style: CellStyle(role(classAt(column, 2 * row)), background: role(classAt(column, 2 * row + 1))))
                    : Cell(character: Self.shades[classAt(column, 2 * row) % Self.shades.count], style: CellStyle(.dim))
            }
        }
        let (minX, maxX, minY, maxY) = (map.bounds[0], map.bounds[1], map.bounds[2], map.bounds[3])
        for (index, label) in map.labels.enumerated() {
            let x = map.points[2 * index], y = map.points[2 * index + 1]
            let column = Int((x - minX) / (maxX - minX) * Float(side))
            let pixelRow = Int((maxY - y) / (maxY - minY) * Float(side))
            guard column >= 0, column < side, pixelRow >= 0, pixelRow < side else { continue }
            let correct = classAt(column, pixelRow) == Int(label)
            let glyph = colour ? (correct ? "•" : "×") : Self.letter(Int(label))
            canvas.put(glyph, x: origin + column, y: area.y + pixelRow / 2,
                       style: CellStyle(colour ? role(Int(label)) : .text, bold: true, reverse: !colour && !correct))
        }
        drawLegend(classes: (map.labels.map { Int($0) }.max() ?? 0) + 1, into: &canvas, y: rect.y + rect.height - 1,
                   x: rect.x + 1, end: rect.x + rect.width)
    }

    /// `● class 1  ● class 2 …  • right  × wrong`, as far as it fits.
    func drawLegend(classes: Int, into canvas: inout Canvas, y: Int, x start: Int, end: Int) {
        var entries: [(String, String, CellStyle)] = (0..<classes).map { label in
            colour ? ("●", "class \(label + 1)", CellStyle(Role.classes[label % Role.classes.count], bold: true))
                : (Self.letter(label) + String(Self.shades[label % Self.shades.count]), "class \(label + 1)", CellStyle(.text, bold: true))
        }
        entries += colour ? [("•", "right", CellStyle(.text, bold: true)), ("×", "wrong", CellStyle(.text, bold: true))]
            : [("A", "right", CellStyle(.text, bold: true)), ("A", "wrong", CellStyle(.text, bold: true, reverse: true))]
        var x = start
        for (mark, name, style) in entries where x + mark.count + name.count + 1 <= end {
            canvas.put(mark, x: x, y: y, style: style)
            canvas.put(name, x: x + mark.count + 1, y: y, style: CellStyle(.dim))
            x += mark.count + name.count + 3
        }
    }
}
