import Lab

/// Class regions of a 2-D dataset in half blocks (two pixels per cell), with
/// the validation points over them: `•` where the network is right, `×`
/// where it is wrong.
public struct DecisionMapView {
    public var map: DecisionMap?

    public init(map: DecisionMap?) { self.map = map }

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        guard let map, rect.width > 2, rect.height > 1 else {
            canvas.put("decision map: 2-D datasets only", x: rect.x + 1, y: rect.y, style: CellStyle(.dim))
            return
        }
        // A square plot: pixels are half a cell high, so width == 2 × height in cells … in pixels, equal.
        let side = min(rect.width, rect.height * 2)
        let origin = rect.x + (rect.width - side) / 2
        func classAt(_ px: Int, _ py: Int) -> Role {
            let column = min(map.resolution - 1, px * map.resolution / side)
            let row = min(map.resolution - 1, py * map.resolution / side)
            return Role.classes[Int(map.classes[row * map.resolution + column]) % Role.classes.count]
        }
        for row in 0..<side / 2 {
            for column in 0..<side {
                let style = CellStyle(classAt(column, 2 * row), background: classAt(column, 2 * row + 1))
                canvas[origin + column, rect.y + row] = Cell(character: "▀", style: style)
            }
        }
        let (minX, maxX, minY, maxY) = (map.bounds[0], map.bounds[1], map.bounds[2], map.bounds[3])
        for (index, label) in map.labels.enumerated() {
            let x = map.points[2 * index], y = map.points[2 * index + 1]
            let column = Int((x - minX) / (maxX - minX) * Float(side))
            let pixelRow = Int((maxY - y) / (maxY - minY) * Float(side))
            guard column >= 0, column < side, pixelRow >= 0, pixelRow < side else { continue }
            let region = classAt(column, pixelRow)
            let correct = region == Role.classes[Int(label) % Role.classes.count]
            canvas[origin + column, rect.y + pixelRow / 2] =
                Cell(character: correct ? "•" : "×", style: CellStyle(correct ? .selected : .warning, background: region, bold: true))
        }
    }
}
