import Foundation

/// Draws a `Chart` as an SVG: title, axes with ticks and labels, a faint
/// grid, the series (each with its own colour, dash pattern and marker, so
/// that they stay apart in greyscale print), error bars, shaded bands and a
/// legend to the right of the plot.
public struct ChartRenderer: Sendable {
    public var palette: ChartPalette
    public var width = 720.0
    public var height = 420.0
    static let font = "DejaVu Sans, Helvetica, Arial, sans-serif"
    /// Dash patterns and markers by series index.
    static let dashes: [String?] = [nil, "7 4", "2 3", "9 3 2 3", "4 2"]
    static let markers = ["circle", "square", "triangle", "diamond", "cross"]

    public init(palette: ChartPalette) { self.palette = palette }

    /// The plot area: left, top, right, bottom.
    private var plot: (left: Double, top: Double, right: Double, bottom: Double) { (72, 44, width - 190, height - 56) }

    public func svg(_ chart: Chart) -> String {
        var document = SVGDocument(width: width, height: height, background: palette.background)
        let area = plot
        let points = chart.series.flatMap(\.points)
        let xs = (points.map(\.x) + chart.bands.flatMap { [$0.from, $0.to] }).filter(\.isFinite)
        let xTicks = AxisTicks.linear((xs.min() ?? 0)...(xs.max() ?? 1))
        let yTicks = yAxis(chart)
        func x(_ value: Double) -> Double {
            let (low, high) = (xTicks.range.lowerBound, xTicks.range.upperBound)
            return area.left + (value - low) / (high - low) * (area.right - area.left)
        }
        func y(_ value: Double) -> Double {
            let (low, high) = (yTicks.range.lowerBound, yTicks.range.upperBound)
            let fraction = chart.yScale == .log ? log10(value / low) / log10(high / low) : (value - low) / (high - low)
            return area.bottom - min(max(fraction, -0.02), 1.02) * (area.bottom - area.top)
        }
        let text = #"fill="\#(palette.ink)" font-family="\#(Self.font)""#
        document.add(svgText(chart.title, x: area.left, y: 26, attributes: text + #" font-size="16" font-weight="bold""#))
        for band in chart.bands {
            document.add(#"<rect class="band" x="\#(number(x(band.from)))" y="\#(number(area.top))" width="\#(number(x(band.to) - x(band.from)))" height="\#(number(area.bottom - area.top))" fill="\#(palette.band)"/>"#)
        }
        // Axes, grid and tick labels.
        var axes = [#"<g class="axes">"#]
        for (value, label) in zip(yTicks.values, yTicks.labels) {
            axes.append(svgLine(area.left, y(value), area.right, y(value), stroke: palette.grid))
            axes.append(svgText(label, x: area.left - 8, y: y(value) + 4, attributes: text + #" font-size="12" text-anchor="end""#))
        }
        for (value, label) in zip(xTicks.values, xTicks.labels) {
            axes.append(svgLine(x(value), area.bottom, x(value), area.bottom + 5, stroke: palette.ink))
            axes.append(svgText(label, x: x(value), y: area.bottom + 19, attributes: text + #" font-size="12" text-anchor="middle""#))
        }
        axes.append(svgLine(area.left, area.bottom, area.right, area.bottom, stroke: palette.ink, width: 1.2))
        axes.append(svgLine(area.left, area.top, area.left, area.bottom, stroke: palette.ink, width: 1.2))
        axes.append(svgText(chart.xLabel, x: (area.left + area.right) / 2, y: height - 14,
                            attributes: text + #" font-size="13" text-anchor="middle""#))
        let middle = (area.top + area.bottom) / 2
        axes.append(svgText(chart.yLabel, x: 18, y: middle,
                            attributes: text + #" font-size="13" text-anchor="middle" transform="rotate(-90 18 \#(number(middle)))""#))
        axes.append("</g>")
        document.add(axes.joined(separator: "\n"))
        // Series.
        for (index, series) in chart.series.enumerated() {
            let color = palette.color(series.role)
            let visible = series.points.filter { $0.x.isFinite && $0.y.isFinite && (chart.yScale == .linear || $0.y > 0) }
            var group = [#"<g class="series" data-name="\#(xmlEscaped(series.name))">"#]
            if series.lines && visible.count > 1 {
                let coordinates = visible.map { "\(number(x($0.x))),\(number(y($0.y)))" }.joined(separator: " ")
                let dash = Self.dashes[index % Self.dashes.count].map { #" stroke-dasharray="\#($0)""# } ?? ""
                group.append(#"<polyline points="\#(coordinates)" fill="none" stroke="\#(color)" stroke-width="2"\#(dash)/>"#)
            }
            for point in visible {
                guard let error = point.error, error > 0 else { continue }
                let (top, bottom) = (y(point.y + error), y(chart.yScale == .log ? max(point.y - error, point.y / 10) : point.y - error))
                group.append(svgLine(x(point.x), top, x(point.x), bottom, stroke: color, width: 1.2))
                group.append(svgLine(x(point.x) - 4, top, x(point.x) + 4, top, stroke: color, width: 1.2))
                group.append(svgLine(x(point.x) - 4, bottom, x(point.x) + 4, bottom, stroke: color, width: 1.2))
            }
            // Markers: at every point of a short series, at about twelve of a long one.
            let every = max(1, visible.count / 12)
            for (position, point) in visible.enumerated() where position % every == 0 || position == visible.count - 1 {
                group.append(marker(Self.markers[index % Self.markers.count], x: x(point.x), y: y(point.y), color: color))
            }
            group.append("</g>")
            document.add(group.joined(separator: "\n"))
        }
        document.add(legend(chart, text: text))
        return document.text
    }

    private func yAxis(_ chart: Chart) -> AxisTicks {
        if let range = chart.yRange {
            return chart.yScale == .log ? .log(range) : .linear(range, fixed: true)
        }
        let values = chart.series.flatMap { $0.points.flatMap { [$0.y - ($0.error ?? 0), $0.y + ($0.error ?? 0)] } }
        if chart.yScale == .log {
            let positive = chart.series.flatMap { $0.points.map(\.y) }.filter { $0 > 0 && $0.isFinite }
            return .log((positive.min() ?? 1e-3)...(positive.max() ?? 1))
        }
        let finite = values.filter(\.isFinite)
        return .linear((finite.min() ?? 0)...(finite.max() ?? 1))
    }

    private func legend(_ chart: Chart, text: String) -> String {
        let left = plot.right + 18
        var lines = [#"<g class="legend">"#]
        for (index, series) in chart.series.enumerated() {
            let y = plot.top + 8 + Double(index) * 22
            let color = palette.color(series.role)
            let dash = Self.dashes[index % Self.dashes.count]
            if series.lines { lines.append(svgLine(left, y, left + 30, y, stroke: color, width: 2, dash: dash)) }
            lines.append(marker(Self.markers[index % Self.markers.count], x: left + 15, y: y, color: color))
            lines.append(svgText(series.name, x: left + 38, y: y + 4, attributes: text + #" font-size="12""#))
        }
        for (index, band) in chart.bands.enumerated() {
            let y = plot.top + 8 + Double(chart.series.count + index) * 22
            lines.append(#"<rect x="\#(number(left))" y="\#(number(y - 7))" width="30" height="14" fill="\#(palette.band)"/>"#)
            lines.append(svgText(band.label, x: left + 38, y: y + 4, attributes: text + #" font-size="12""#))
        }
        lines.append("</g>")
        return lines.joined(separator: "\n")
    }

    private func marker(_ shape: String, x: Double, y: Double, color: String) -> String {
        let (cx, cy) = (number(x), number(y))
        switch shape {
        case "square":
            return #"<rect x="\#(number(x - 3.5))" y="\#(number(y - 3.5))" width="7" height="7" fill="\#(color)"/>"#
        case "triangle":
            return #"<polygon points="\#(cx),\#(number(y - 4.5)) \#(number(x + 4.5)),\#(number(y + 3.5)) \#(number(x - 4.5)),\#(number(y + 3.5))" fill="\#(color)"/>"#
        case "diamond":
            return #"<polygon points="\#(cx),\#(number(y - 5)) \#(number(x + 5)),\#(cy) \#(cx),\#(number(y + 5)) \#(number(x - 5)),\#(cy)" fill="\#(color)"/>"#
        case "cross":
            return #"<path d="M\#(number(x - 4)) \#(number(y - 4))L\#(number(x + 4)) \#(number(y + 4))M\#(number(x - 4)) \#(number(y + 4))L\#(number(x + 4)) \#(number(y - 4))" stroke="\#(color)" stroke-width="2"/>"#
        default:
            return #"<circle cx="\#(cx)" cy="\#(cy)" r="3.5" fill="\#(color)"/>"#
        }
    }
}
