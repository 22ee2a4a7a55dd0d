/// A chart for slides and papers: a title, two axes and a few series,
/// independent of how it is drawn (`ChartRenderer`) or exported (`ChartCSV`).
public struct Chart: Equatable, Sendable {
    /// Linear or logarithmic (base 10) axis.
    public enum Scale: Equatable, Sendable { case linear, log }

    /// One point of a series, with an optional error (± this much, drawn as a bar).
    public struct Point: Equatable, Sendable {
        public var x: Double
        public var y: Double
        public var error: Double?
        public init(x: Double, y: Double, error: Double? = nil) { (self.x, self.y, self.error) = (x, y, error) }
    }

    /// What a series shows, which picks its colour from the palette.
    public enum Role: String, CaseIterable, Sendable {
        case train, validation, lesioned, residual, plain, reference
    }

    /// A line of points (drawn with markers, `lines: false` for markers alone).
    public struct Series: Equatable, Sendable {
        public var name: String
        public var role: Role
        public var points: [Point]
        public var lines = true
        public init(name: String, role: Role, points: [Point], lines: Bool = true) {
            (self.name, self.role, self.points, self.lines) = (name, role, points, lines)
        }
    }

    /// A shaded range of x (for example the lengths carrying 90 % of the gradient).
    public struct Band: Equatable, Sendable {
        public var label: String
        public var from: Double
        public var to: Double
        public init(label: String, from: Double, to: Double) { (self.label, self.from, self.to) = (label, from, to) }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var yScale: Scale = .linear
    public var series: [Series]
    public var bands: [Band] = []
    /// A fixed y range (for example accuracy from 0 to 1); nil fits the data.
    public var yRange: ClosedRange<Double>?

    public init(title: String, xLabel: String, yLabel: String, yScale: Scale = .linear, series: [Series],
                bands: [Band] = [], yRange: ClosedRange<Double>? = nil) {
        (self.title, self.xLabel, self.yLabel, self.yScale) = (title, xLabel, yLabel, yScale)
        (self.series, self.bands, self.yRange) = (series, bands, yRange)
    }
}

/// A chart with the file name it is written under (without extension).
public struct NamedChart: Equatable, Sendable {
    public let name: String
    public let chart: Chart
    public init(name: String, chart: Chart) { (self.name, self.chart) = (name, chart) }
}
