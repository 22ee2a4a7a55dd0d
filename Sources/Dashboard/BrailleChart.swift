import Foundation

/// How a series' line is drawn, so that series differ without colour.
public enum LineStyle: Sendable, CaseIterable {
    case solid, dotted, dashed, longDashed

    /// Which dots along the line are set, repeating.
    var pattern: [Bool] {
        switch self {
        case .solid: return [true]
        case .dotted: return [true, false, false]
        case .dashed: return [true, true, true, false, false, false]
        case .longDashed: return Array(repeating: true, count: 8) + [false, false, false, false]
        }
    }

    /// How the legend shows it.
    public var legend: String {
        switch self {
        case .solid: return "━━"
        case .dotted: return "┈┈"
        case .dashed: return "╍╍"
        case .longDashed: return "─ ─"
        }
    }
}

/// One line of a chart.
public struct ChartSeries: Sendable {
    public let role: Role
    public let style: LineStyle
    public let points: [(x: Double, y: Double)]

    public init(role: Role, style: LineStyle = .solid, points: [(x: Double, y: Double)]) {
        self.role = role
        self.style = style
        self.points = points
    }
}

/// A line chart drawn in braille cells (2×4 dots each), with labelled axes:
/// three values on the y axis, the first and last x at the bottom.
public struct BrailleChart {
    public var series: [ChartSeries]
    public var logScale = false
    /// A fixed y range (accuracy: 0…1); otherwise the data's own.
    public var yRange: ClosedRange<Double>?
    /// Labels of the y axis; compact numbers unless told otherwise.
    public var formatY: (Double) -> String = NumberFormat.compact

    public init(series: [ChartSeries]) { self.series = series }

    public func draw(into canvas: inout Canvas, in rect: Rect) {
        let transform: (Double) -> Double? = { value in
            guard value.isFinite else { return nil }
            if logScale { return value > 0 ? log10(value) : nil }
            return value
        }
        let all = series.flatMap(\.points)
        let ys = all.compactMap { transform($0.y) }
        var low = yRange.flatMap { transform($0.lowerBound) } ?? ys.min() ?? 0
        var high = yRange.flatMap { transform($0.upperBound) } ?? ys.max() ?? 1
        if high - low < 1e-9 { (low, high) = (low - 0.5, high + 0.5) }
        let label = { (value: Double) in formatY(logScale ? pow(10, value) : value) }
        let labels = [high, (high + low) / 2, low].map(label)
        let labelWidth = (labels.map(\.count).max() ?? 4) + 1
        let plot = Rect(x: rect.x + labelWidth, y: rect.y, width: rect.width - labelWidth, height: rect.height - 1)
        guard plot.width >= 2, plot.height >= 2 else { return }
        guard let firstX = all.map(\.x).min(), let lastX = all.map(\.x).max() else {
            canvas.putFitted("waiting for data…", x: plot.x + 1, y: plot.y + plot.height / 2, style: CellStyle(.dim), limit: plot.width - 1)
            return
        }
        let dotsWide = plot.width * 2, dotsHigh = plot.height * 4
        var dots = [UInt8](repeating: 0, count: plot.width * plot.height)
        var owner = [Role?](repeating: nil, count: plot.width * plot.height)
        let bits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

        for line in series {
            let pattern = line.style.pattern
            var counter = 0
            func dot(_ x: Int, _ y: Int) {
                defer { counter += 1 }
                guard pattern[counter % pattern.count], x >= 0, y >= 0, x < dotsWide, y < dotsHigh else { return }
                let cell = (y / 4) * plot.width + x / 2
                dots[cell] |= bits[y % 4][x % 2]
                owner[cell] = line.role
            }
            var previous: (Int, Int)?
            for point in line.points {
                guard let y = transform(point.y) else { previous = nil; continue }
                let dx = lastX > firstX ? Int(((point.x - firstX) / (lastX - firstX) * Double(dotsWide - 1)).rounded()) : 0
                let dy = Int(((high - min(max(y, low), high)) / (high - low) * Double(dotsHigh - 1)).rounded())
                if let (px, py) = previous {
                    // Bresenham between consecutive points (the first dot was drawn with the last segment).
                    let steps = max(abs(dx - px), abs(dy - py), 1)
                    for s in 1...steps { dot(px + (dx - px) * s / steps, py + (dy - py) * s / steps) }
                } else {
                    dot(dx, dy)
                }
                previous = (dx, dy)
            }
        }
        for row in 0..<plot.height {
            for column in 0..<plot.width where dots[row * plot.width + column] != 0 {
                let character = Character(Unicode.Scalar(0x2800 + UInt32(dots[row * plot.width + column]))!)
                canvas[plot.x + column, plot.y + row] = Cell(character: character, style: CellStyle(owner[row * plot.width + column]!))
            }
        }
        // Axes: y labels at top, middle and bottom; x labels at both ends.
        let axis = CellStyle(.dim)
        for (row, text) in zip([0, plot.height / 2, plot.height - 1], labels) {
            canvas.put(text.leftPadded(to: labelWidth - 1), x: rect.x, y: plot.y + row, style: axis)
            canvas.put("┤", x: plot.x - 1, y: plot.y + row, style: axis)
        }
        let bottom = plot.y + plot.height
        let start = String(Int(firstX)), end = String(Int(lastX))
        canvas.put(start, x: plot.x, y: bottom, style: axis)
        if start.count + end.count < plot.width { canvas.put(end, x: plot.x + plot.width - end.count, y: bottom, style: axis) }
    }
}

extension String {
    /// Right-aligned in `width` columns (never truncated).
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
