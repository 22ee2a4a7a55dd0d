/// The colours of a chart: a background, ink for text and axes, a faint
/// grid, and one colour per series role (as `#rrggbb`).
public struct ChartPalette: Equatable, Sendable {
    public var background: String
    public var ink: String
    public var grid: String
    public var band: String
    public var series: [Chart.Role: String]

    public init(background: String, ink: String, grid: String, band: String, series: [Chart.Role: String]) {
        (self.background, self.ink, self.grid, self.band, self.series) = (background, ink, grid, band, series)
    }

    /// White paper: for slides with a light background and for print.
    /// Series colours default to the Okabe–Ito palette, which stays apart
    /// for colour-blind readers; a dashboard theme may replace them.
    public static let light = ChartPalette(
        background: "#ffffff", ink: "#222222", grid: "#e3e3e3", band: "#dfe9f5",
        series: [.train: "#0072b2", .validation: "#d55e00", .lesioned: "#cc79a7", .residual: "#0072b2",
                 .plain: "#e69f00", .reference: "#555555"])

    /// A dark background, for dark slides.
    public static let dark = ChartPalette(
        background: "#1b1d23", ink: "#e8e8e8", grid: "#3a3d45", band: "#2c3a4d",
        series: [.train: "#56b4e9", .validation: "#e69f00", .lesioned: "#cc79a7", .residual: "#56b4e9",
                 .plain: "#f0e442", .reference: "#bbbbbb"])

    /// The palette with some series colours replaced (a dashboard theme's).
    public func with(series replacements: [Chart.Role: String]) -> ChartPalette {
        var palette = self
        palette.series.merge(replacements) { $1 }
        return palette
    }

    public func color(_ role: Chart.Role) -> String { series[role] ?? ink }
}
