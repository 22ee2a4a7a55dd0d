/// The data of a chart as CSV, exactly what is plotted: one row per point,
/// `series,x,y,error`, then one row per band, `band,from,to,` (so that the
/// figure can be redrawn in any tool).
public func chartCSV(_ chart: Chart) -> String {
    func field(_ text: String) -> String {
        text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
    var rows = ["series,\(field(chart.xLabel)),\(field(chart.yLabel)),error"]
    for series in chart.series {
        for point in series.points {
            rows.append("\(field(series.name)),\(point.x),\(point.y),\(point.error.map { "\($0)" } ?? "")")
        }
    }
    for band in chart.bands { rows.append("\(field("band: " + band.label)),\(band.from),\(band.to),") }
    return rows.joined(separator: "\n") + "\n"
}
