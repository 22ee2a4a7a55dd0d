import ArgumentParser
import Figures
import Foundation
import SystemErrors

/// The background of written charts.
enum PlotTheme: String, CaseIterable, ExpressibleByArgument {
    case light, dark

    var palette: ChartPalette { self == .light ? .light : .dark }
}

/// `--plot`, `--plot-dir` and `--plot-theme`: charts of a command's results
/// as SVG files, each with a CSV of exactly the plotted data beside it.
struct PlotOptions: ParsableArguments {
    @Option(help: "Write the command's main chart to this SVG file (and its data to the same name with .csv).")
    var plot: String?
    @Option(help: "Write every chart of the command into this directory, as NAME.svg and NAME.csv.")
    var plotDir: String?
    @Option(help: "Chart background: light (white, for print and light slides) or dark.")
    var plotTheme: PlotTheme = .light

    func validate() throws {
        if let plot {
            guard plot.lowercased().hasSuffix(".svg") else {
                throw ValidationError("--plot takes a file name ending in .svg (got \(plot))")
            }
            try checkOutputFile(plot, option: "--plot")
        }
        if let plotDir { try checkOutputDirectory(plotDir, option: "--plot-dir") }
    }

    var wanted: Bool { plot != nil || plotDir != nil }

    /// Writes `charts`: the first to `--plot`, all into `--plot-dir`. Names
    /// each file written, unless the output is JSON lines.
    func write(_ charts: [NamedChart], announce: Bool) throws {
        guard let main = charts.first else { return }
        let files = ChartFiles(renderer: ChartRenderer(palette: plotTheme.palette))
        var written: [String] = []
        do {
            if let plot { written += try files.write(main.chart, to: URL(fileURLWithPath: plot)) }
            if let plotDir { written += try files.write(charts, into: URL(fileURLWithPath: plotDir)) }
        } catch {
            printError("could not write the charts: \(systemReason(error))")
            throw ExitCode.failure
        }
        if announce { for path in written where path.hasSuffix(".svg") { print("· wrote \(path) (and .csv)") } }
    }
}
