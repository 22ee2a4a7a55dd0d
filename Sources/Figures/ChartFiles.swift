import Foundation

/// Writes charts as SVG files, each with a CSV of its data beside it.
public struct ChartFiles {
    public let renderer: ChartRenderer

    public init(renderer: ChartRenderer) { self.renderer = renderer }

    /// Writes `chart` to `url` (an `.svg`) and its data to the same name
    /// with `.csv`; returns the paths written.
    @discardableResult
    public func write(_ chart: Chart, to url: URL) throws -> [String] {
        let csv = url.deletingPathExtension().appendingPathExtension("csv")
        try Data(renderer.svg(chart).utf8).write(to: url, options: .atomic)
        try Data(chartCSV(chart).utf8).write(to: csv, options: .atomic)
        return [url.path, csv.path]
    }

    /// Writes every chart into `directory` (created if needed) as NAME.svg and NAME.csv.
    @discardableResult
    public func write(_ charts: [NamedChart], into directory: URL) throws -> [String] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try charts.flatMap { try write($0.chart, to: directory.appendingPathComponent($0.name + ".svg")) }
    }
}
