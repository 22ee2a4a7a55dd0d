import Figures
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport

/// Collects the elements of an SVG and the text inside them.
private final class SVGOutline: NSObject, XMLParserDelegate {
    var groups: [String] = []
    var seriesNames: [String] = []
    var texts: [String] = []
    private var inText = false

    func parser(_ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if element == "g", let kind = attributes["class"] { groups.append(kind) }
        if let name = attributes["data-name"] { seriesNames.append(name) }
        inText = element == "text"
        if inText { texts.append("") }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { texts[texts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
        inText = false
    }
}

/// The charts of `--plot` and `--plot-dir`, drawn from fixed results.
struct ChartTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let renderer = ChartRenderer(palette: .light)

    /// Every kind parses as XML and has its title, axes, one group per
    /// series and a legend entry naming each series.
    @Test func everyChartIsXMLWithAxesSeriesAndLegend() throws {
        for named in ChartFixtures.charts {
            let outline = SVGOutline()
            let parser = XMLParser(data: Data(Self.renderer.svg(named.chart).utf8))
            parser.delegate = outline
            #expect(parser.parse(), "\(named.name): \(parser.parserError.map { "\($0)" } ?? "")")
            #expect(outline.groups.filter { $0 == "axes" }.count == 1 && outline.groups.contains("legend"), "\(named.name)")
            #expect(outline.seriesNames == named.chart.series.map(\.name), "\(named.name)")
            for name in named.chart.series.map(\.name) + [named.chart.title, named.chart.xLabel, named.chart.yLabel] {
                #expect(outline.texts.contains(name), "\(named.name) lacks the text \(name)")
            }
        }
    }

    /// A twin pair's figures have a series for each network.
    @Test func twinResultsGiveASeriesPerNetwork() {
        for named in ChartFixtures.charts where !named.name.hasPrefix("paths") {
            let names = named.chart.series.map(\.name)
            #expect(names.contains { $0.hasPrefix("residual") } && names.contains { $0.hasPrefix("plain") }, "\(named.name): \(names)")
        }
    }

    /// The golden SVGs of fixed data; `RESLAB_RECORD_GOLDEN=1` writes them anew.
    @Test func chartsMatchTheirGoldenFiles() throws {
        for named in ChartFixtures.charts {
            let file = Self.directory.appendingPathComponent(named.name + ".svg")
            let actual = Self.renderer.svg(named.chart)
            if ProcessInfo.processInfo.environment["RESLAB_RECORD_GOLDEN"] == "1" {
                try actual.write(to: file, atomically: true, encoding: .utf8)
                continue
            }
            #expect(actual == (try String(contentsOf: file, encoding: .utf8)), "\(file.lastPathComponent) differs")
        }
    }

    /// The CSV beside a chart holds exactly its points and bands.
    @Test func csvHoldsExactlyThePlottedData() {
        for named in ChartFixtures.charts {
            let rows = chartCSV(named.chart).split(separator: "\n").dropFirst()
            let points = named.chart.series.flatMap { series in series.points.map { (series.name, $0) } }
            #expect(rows.count == points.count + named.chart.bands.count, "\(named.name)")
            for (row, (name, point)) in zip(rows, points) {
                let fields = Self.csvFields(String(row))
                #expect(fields[0] == name && Double(fields[1]) == point.x && Double(fields[2]) == point.y, "\(named.name): \(row)")
            }
        }
    }

    /// The fields of one CSV row, quotes undone.
    static func csvFields(_ row: String) -> [String] {
        var fields = [""], quoted = false
        for character in row {
            switch (character, quoted) {
            case ("\"", _): quoted.toggle()
            case (",", false): fields.append("")
            default: fields[fields.count - 1].append(character)
            }
        }
        return fields
    }

    /// Series differ in dash pattern and marker, not only in colour: in
    /// greyscale print they stay apart.
    @Test func seriesDifferInDashAndMarker() {
        let svg = Self.renderer.svg(ChartFixtures.charts[0].chart)
        #expect(svg.contains(#"stroke-dasharray="7 4""#) && svg.contains("<rect") && svg.contains("<circle"))
    }

    /// `rsvg-convert` (librsvg) renders every chart, light and dark, to a
    /// PNG that is not one flat colour.
    @Test func rsvgRendersEveryChartToAPicture() async throws {
        try await withTemporaryDirectory { directory in
            for palette in [ChartPalette.light, .dark] {
                for named in ChartFixtures.charts {
                    let svg = directory.appendingPathComponent(named.name + ".svg")
                    try ChartRenderer(palette: palette).svg(named.chart).write(to: svg, atomically: true, encoding: .utf8)
                }
                let script = """
                import glob, subprocess, sys, zlib
                for svg in sorted(glob.glob(sys.argv[1] + "/*.svg")):
                    png = subprocess.run(["rsvg-convert", svg], capture_output=True, check=True).stdout
                    assert png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", svg
                    data, at = b"", 8
                    while at < len(png):
                        length = int.from_bytes(png[at:at + 4], "big")
                        if png[at + 4:at + 8] == b"IDAT": data += png[at + 8:at + 8 + length]
                        at += 12 + length
                    pixels = zlib.decompress(data)
                    assert len(set(pixels)) > 8, svg + " is blank"
                print("rendered")
                """
                let result = try await runPython(["-c", script, directory.path])
                #expect(result.status == 0 && result.output.contains("rendered"), "\(result.output)")
            }
        }
    }
}

/// Charts of runs that went wrong still draw.
struct AwkwardChartTests {
    /// A diverged run's NaN and infinite losses are left out of the chart
    /// and its data; an empty chart still has its axes and legend.
    @Test func nonFiniteFiguresAndEmptyChartsAreDrawn() throws {
        var histories = ChartFixtures.histories
        histories[0][3].trainLoss = .nan
        histories[0][4].trainLoss = .infinity
        let loss = ExperimentCharts.training(histories)[0].chart
        #expect(loss.series[0].points.count == histories[0].count - 2)
        let svg = ChartRenderer(palette: .light).svg(loss)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        let empty = ChartRenderer(palette: .dark).svg(ExperimentCharts.gradientNorms([]).chart)
        #expect(empty.contains(#"class="axes""#) && empty.contains(#"class="legend""#))
    }
}
