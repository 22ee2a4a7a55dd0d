import Dashboard
import Lab
import Testing

struct CanvasTests {
    @Test func textIsClippedToTheCanvasAndTheLimit() {
        var canvas = Canvas(width: 8, height: 2)
        canvas.put("hello world", x: 2, y: 0)
        canvas.put("abcdef", x: -2, y: 1, limit: 4)
        canvas.put("never", x: 0, y: 5)
        #expect(canvas.lines == ["  hello ", "cd      "])
    }

    @Test func boxDrawsCornersEdgesAndTitle() {
        var canvas = Canvas(width: 10, height: 3)
        canvas.box(Rect(x: 0, y: 0, width: 10, height: 3), title: "ab")
        #expect(canvas.lines == ["┌ ab ────┐", "│        │", "└────────┘"])
        #expect(canvas[2, 0].style.foreground == .title)
    }
}

struct BrailleChartTests {
    @Test func risingLineGoesFromBottomLeftToTopRight() {
        var canvas = Canvas(width: 17, height: 5)
        let chart = BrailleChart(series: [ChartSeries(role: .train, points: (0...10).map { (Double($0), Double($0)) })])
        chart.draw(into: &canvas, in: Rect(x: 0, y: 0, width: 17, height: 5))
        let lines = canvas.lines
        // Bottom plot row starts with dots at the left, top row ends with dots at the right.
        #expect(lines[3].dropFirst(7).first.map { $0 != " " } == true)
        #expect(lines[0].last.map { $0 != " " } == true)
        #expect(lines[0].dropFirst(7).first == " ")
        #expect(lines[0].hasPrefix("    10┤"))
        #expect(lines[3].hasPrefix("     0┤"))
        #expect(lines[4].hasSuffix("10"))
        #expect(canvas[16, 0].style.foreground == .train)
        #expect(lines.joined().unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })
    }

    @Test func logScaleLabelsDecades() {
        var canvas = Canvas(width: 20, height: 5)
        var chart = BrailleChart(series: [ChartSeries(role: .validation, points: [(0, 100), (1, 10), (2, 1)])])
        chart.logScale = true
        chart.draw(into: &canvas, in: Rect(x: 0, y: 0, width: 20, height: 5))
        #expect(canvas.lines[0].hasPrefix("   100┤"))
        #expect(canvas.lines[2].hasPrefix("    10┤"))
        #expect(canvas.lines[3].hasPrefix("     1┤"))
        #expect(canvas.lines[1].hasPrefix("      "))
    }

    @Test func emptyChartSaysItIsWaiting() {
        var canvas = Canvas(width: 30, height: 4)
        BrailleChart(series: []).draw(into: &canvas, in: Rect(x: 0, y: 0, width: 30, height: 4))
        #expect(canvas.lines.joined().contains("waiting for data"))
    }
}

struct GradientBarsTests {
    func render(_ values: [Float], modes: [BlockMode], selected: Int = 0, height: Int = 5) -> [String] {
        var canvas = Canvas(width: 40, height: height)
        GradientBars(values: values, modes: modes, selected: selected).draw(into: &canvas, in: Rect(x: 0, y: 0, width: 40, height: height))
        return canvas.lines
    }

    @Test func barsAreLogScaledWithGlyphsValuesAndTicks() {
        let lines = render([1e-3, 1e-1, 0], modes: [.residual, .plain, .deleted])
        #expect(lines[0].hasPrefix("▸01 ●"))
        #expect(lines[1].hasPrefix(" 02 ○"))
        #expect(lines[2].hasPrefix(" 03 ✕"))
        #expect(lines[0].contains("1.0e-03"))
        #expect(lines[1].contains("1.0e-01"))
        #expect(lines[2].contains("no gradient"))
        // Two decades apart: the second bar is longer than the first by about two thirds of the axis.
        let first = lines[0].filter { "█▏▎▍▌▋▊▉".contains($0) }.count
        let second = lines[1].filter { "█▏▎▍▌▋▊▉".contains($0) }.count
        #expect(second > first + 10)
        #expect(lines[4].contains("1e-3") && lines[4].contains("1e-1"))
    }

    @Test func scrollKeepsTheSelectedBlockVisible() {
        let values = [Float](repeating: 0.01, count: 30)
        let lines = render(values, modes: Array(repeating: .residual, count: 30), selected: 25, height: 6)
        #expect(lines.contains { $0.hasPrefix("▸26") })
        #expect(!lines.contains { $0.hasPrefix(" 01") })
    }
}

struct HeatmapAndDecisionMapTests {
    @Test func heatmapPacksTwoBlocksPerRow() {
        var canvas = Canvas(width: 20, height: 3)
        GradientHeatmap(columns: [[1e-4, 1, 1e-2], [1e-4, 1, 1e-2]]).draw(into: &canvas, in: Rect(x: 0, y: 0, width: 20, height: 3))
        #expect(canvas.lines[0].hasPrefix("01 ▀▀"))
        #expect(canvas.lines[1].hasPrefix("03 ▀▀"))
        #expect(canvas[3, 0].style.foreground == .heat0)
        #expect(canvas[3, 0].style.background == .heat5)
    }

    @Test func decisionMapMarksWrongPoints() {
        // Left half class 0, right half class 1; one point of class 0 on the right.
        let map = DecisionMap(resolution: 2, bounds: [0, 1, 0, 1], classes: [0, 1, 0, 1], points: [0.2, 0.5, 0.8, 0.5],
                              labels: [0, 0])
        var canvas = Canvas(width: 8, height: 4)
        DecisionMapView(map: map).draw(into: &canvas, in: Rect(x: 0, y: 0, width: 8, height: 4))
        let text = canvas.lines.joined()
        #expect(text.contains("•"))
        #expect(text.contains("×"))
        #expect(canvas[0, 0].style.foreground == .class0)
        #expect(canvas[7, 0].style.foreground == .class1)
    }
}

struct ExperimentViewTests {
    @Test func sweepDrawsOneBarPerBlockWithTheIntactMark() {
        var canvas = Canvas(width: 40, height: 6)
        let sweep = SingleLesionResult(mode: .deleted, intact: 1, accuracy: [0.3, 1, 0.95])
        LesionView(sweep: sweep, curve: nil, progress: nil).draw(into: &canvas, in: Rect(x: 0, y: 0, width: 40, height: 6))
        let lines = canvas.lines
        #expect(lines[0].contains("intact 100.0 %"))
        #expect(lines[1].hasPrefix(" 01") && lines[1].contains(" 30.0%") && lines[1].contains("│"))
        #expect(lines[2].contains("100.0%"))
        #expect(canvas[8, 1].style.foreground == .deleted)
        #expect(canvas[8, 2].style.foreground == .residual)
    }

    @Test func progressAndEmptyStatesExplainThemselves() {
        var canvas = Canvas(width: 60, height: 4)
        LesionView(sweep: nil, curve: nil, progress: ExperimentProgress(name: "lesion sweep", done: 3, total: 9))
            .draw(into: &canvas, in: Rect(x: 0, y: 0, width: 60, height: 4))
        #expect(canvas.lines[0].contains("running lesion sweep 3/9 — c cancels"))
        var empty = Canvas(width: 60, height: 4)
        PathsView(result: nil, progress: nil).draw(into: &empty, in: Rect(x: 0, y: 0, width: 60, height: 4))
        #expect(empty.lines[0].contains("P: measure the gradient per path length"))
    }
}
