import Dashboard
import RunProtocol
import Testing

struct CanvasTests {
    @Test func textIsClippedToTheCanvasAndTheLimit() {
        var canvas = Canvas(width: 8, height: 2)
        canvas.put("hello world", x: 2, y: 0)
        canvas.put("abcdef", x: -2, y: 1, limit: 4)
        canvas.put("never", x: 0, y: 5)
        #expect(canvas.lines == ["  hello ", "cd      "])
    }

    @Test func cutWordsAreRecordedAndFittedTextIsNeverCut() {
        var canvas = Canvas(width: 12, height: 2)
        canvas.put("lr 4.33e-07", x: 0, y: 0, limit: 9)
        canvas.put("three words", x: 0, y: 1, limit: 5)
        canvas.put("cut", x: 10, y: 1)
        #expect(canvas.cutWords == ["4.33e-07", "cut"])
        var fitted = Canvas(width: 12, height: 1)
        fitted.putFitted("acc 93.6 % → 86.7 %", x: 0, y: 0, limit: 12)
        #expect(fitted.lines == ["acc 93.6 %… "])
        #expect(fitted.cutWords.isEmpty)
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
        #expect(lines[3].dropFirst(3).first.map { $0 != " " } == true)
        #expect(lines[0].last.map { $0 != " " } == true)
        #expect(lines[0].dropFirst(3).first == " ")
        #expect(lines[0].hasPrefix("10┤"))
        #expect(lines[3].hasPrefix(" 0┤"))
        #expect(lines[4].hasSuffix("10"))
        #expect(canvas[16, 0].style.foreground == .train)
        #expect(lines.joined().unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })
    }

    @Test func logScaleLabelsDecades() {
        var canvas = Canvas(width: 20, height: 5)
        var chart = BrailleChart(series: [ChartSeries(role: .validation, points: [(0, 100), (1, 10), (2, 1)])])
        chart.logScale = true
        chart.draw(into: &canvas, in: Rect(x: 0, y: 0, width: 20, height: 5))
        #expect(canvas.lines[0].hasPrefix("100┤"))
        #expect(canvas.lines[2].hasPrefix(" 10┤"))
        #expect(canvas.lines[3].hasPrefix("  1┤"))
        #expect(canvas.lines[1].hasPrefix("    "))
    }

    @Test func lineStylesTellSeriesApartWithoutColour() {
        // The same rising line in each style: solid sets the most dots, dotted the fewest.
        func dots(_ style: LineStyle) -> Int {
            var canvas = Canvas(width: 40, height: 6)
            BrailleChart(series: [ChartSeries(role: .train, style: style, points: (0...30).map { (Double($0), Double($0)) })])
                .draw(into: &canvas, in: Rect(x: 0, y: 0, width: 40, height: 6))
            return canvas.cells.reduce(0) { total, cell in
                let value = cell.character.unicodeScalars.first!.value
                return total + ((0x2800...0x28FF).contains(value) ? (value - 0x2800).nonzeroBitCount : 0)
            }
        }
        let counts = LineStyle.allCases.map(dots)
        #expect(Set(counts).count == LineStyle.allCases.count, "\(counts)")
        #expect(counts[0] == counts.max())
        #expect(Set(LineStyle.allCases.map(\.legend)).count == LineStyle.allCases.count)
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
        let first = GradientBars.scroll(selected: selected, count: values.count, rows: height - 1)
        GradientBars(values: values, modes: modes, selected: selected, first: first, axis: LogAxis(values: values))
            .draw(into: &canvas, in: Rect(x: 0, y: 0, width: 40, height: height))
        return canvas.lines
    }

    @Test func barsAreLogScaledWithGlyphsValuesAndTicks() {
        let lines = render([1e-3, 1e-1, 0], modes: [.residual, .plain, .deleted])
        #expect(lines[0].hasPrefix("▸01 ●"))
        #expect(lines[1].hasPrefix(" 02 ○"))
        #expect(lines[2].hasPrefix(" 03 ✕"))
        #expect(lines[0].contains("1.0e-3"))
        #expect(lines[1].contains("1.0e-1"))
        #expect(lines[2].contains("0 · underflow"))
        // Two decades apart: the second bar is longer than the first by about two thirds of the axis.
        let first = lines[0].filter { "█▏▎▍▌▋▊▉".contains($0) }.count
        let second = lines[1].filter { "█▏▎▍▌▋▊▉".contains($0) }.count
        #expect(second > first + 10)
        #expect(lines[4].contains("1e-3") && lines[4].contains("0.01") && lines[4].contains("0.1"))
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
        var canvas = Canvas(width: 40, height: 4)
        let columns: [(step: Int, norms: [Float])] = [(100, [1e-4, 1, 1e-2]), (200, [1e-4, 1, 1e-2])]
        GradientHeatmap(columns: columns, axis: LogAxis(values: [1e-4, 1]), colour: true)
            .draw(into: &canvas, in: Rect(x: 0, y: 0, width: 40, height: 4))
        #expect(canvas.lines[0].hasPrefix("01 ▀▀"))
        #expect(canvas.lines[1].hasPrefix("03 ▀▀"))
        #expect(canvas[3, 0].style.foreground == .heat0)
        #expect(canvas[3, 0].style.background == .heat5)
        // The time axis and the colour scale, from the axis's lowest decade to its highest.
        #expect(canvas.lines[2].contains("step 100 → 200"))
        #expect(canvas.lines[2].hasSuffix("1e-4 ██████ 1"))
    }

    @Test func heatmapWithoutColourUsesShadesOneBlockPerRow() {
        var canvas = Canvas(width: 40, height: 5)
        GradientHeatmap(columns: [(100, [1e-4, 1, 2e-2])], axis: LogAxis(values: [1e-4, 1]), colour: false)
            .draw(into: &canvas, in: Rect(x: 0, y: 0, width: 40, height: 5))
        #expect(canvas.lines[0].hasPrefix("01  "))
        #expect(canvas.lines[1].hasPrefix("02 █"))
        #expect(canvas.lines[2].hasPrefix("03 ▒"))
    }

    @Test func decisionMapMarksWrongPoints() {
        // Left half class 0, right half class 1; one point of class 0 on the right.
        let map = DecisionMap(resolution: 2, bounds: [0, 1, 0, 1], classes: [0, 1, 0, 1], points: [0.2, 0.5, 0.8, 0.5],
                              labels: [0, 0])
        var canvas = Canvas(width: 30, height: 5)
        DecisionMapView(map: map, colour: true).draw(into: &canvas, in: Rect(x: 0, y: 0, width: 30, height: 5))
        // An 8×4 map in the middle of the 30 columns, the legend below it.
        let drawn = canvas.lines.prefix(4).joined()
        #expect(drawn.contains("•"))
        #expect(drawn.contains("×"))
        #expect(canvas[11, 0].style.foreground == .class0)
        #expect(canvas[18, 0].style.foreground == .class1)
        // Points are drawn in their true class's colour: both are class 0.
        let points = (0..<4).flatMap { y in (0..<30).map { canvas[$0, y] } }.filter { $0.character == "•" || $0.character == "×" }
        #expect(points.count == 2 && points.allSatisfy { $0.style.foreground == .class0 })
        #expect(canvas.lines[4].contains("● class 1"))
    }

    @Test func decisionMapWithoutColourUsesShadesAndLetters() {
        let map = DecisionMap(resolution: 2, bounds: [0, 1, 0, 1], classes: [0, 1, 0, 1], points: [0.2, 0.5, 0.8, 0.5],
                              labels: [0, 1])
        var canvas = Canvas(width: 30, height: 5)
        DecisionMapView(map: map, colour: false).draw(into: &canvas, in: Rect(x: 0, y: 0, width: 30, height: 5))
        let map0 = canvas.lines[0]
        #expect(map0.contains("░"))
        let text = canvas.lines.prefix(4).joined()
        #expect(text.contains("A") && text.contains("B"))
        #expect(canvas.lines[4].contains("A  class 1") && canvas.lines[4].contains("B░ class 2"))
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
