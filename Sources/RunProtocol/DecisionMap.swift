/// The class a network predicts over a grid of the plane, and the validation
/// points, for drawing the decision regions of a 2-D dataset.
public struct DecisionMap: Codable, Sendable, Equatable {
    /// Cells per side.
    public let resolution: Int
    /// `[minX, maxX, minY, maxY]` of the grid.
    public let bounds: [Float]
    /// Predicted class per cell, row by row, the first row at `maxY`.
    public let classes: [UInt8]
    /// Validation points as `x, y` pairs, and their true classes.
    public let points: [Float]
    public let labels: [UInt8]

    public init(resolution: Int, bounds: [Float], classes: [UInt8], points: [Float], labels: [UInt8]) {
        self.resolution = resolution
        self.bounds = bounds
        self.classes = classes
        self.points = points
        self.labels = labels
    }
}
