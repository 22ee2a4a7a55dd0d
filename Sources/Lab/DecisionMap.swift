import Datasets
import Network

/// Re-exported so that front ends can name block modes without importing
/// the `Network` module.
public typealias BlockMode = Network.BlockMode

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

extension Trainer {
    /// The decision map of the network with `modes`, over the extent of `samples`.
    func decisionMap(for samples: LabeledSamples, modes: [BlockMode], resolution: Int = 48, pointLimit: Int = 120) -> DecisionMap {
        var features: [Float] = [], labels: [Int] = []
        let count = min(samples.count, pointLimit)
        samples.gather(0..<count, features: &features, labels: &labels)
        let xs = stride(from: 0, to: features.count, by: 2).map { features[$0] }
        let ys = stride(from: 1, to: features.count, by: 2).map { features[$0] }
        let pad: Float = 0.1
        let bounds = [(xs.min() ?? -1) - pad, (xs.max() ?? 1) + pad, (ys.min() ?? -1) - pad, (ys.max() ?? 1) + pad]
        var grid: [Float] = []
        grid.reserveCapacity(2 * resolution * resolution)
        for row in 0..<resolution {
            let y = bounds[3] - (bounds[3] - bounds[2]) * (Float(row) + 0.5) / Float(resolution)
            for column in 0..<resolution {
                grid += [bounds[0] + (bounds[1] - bounds[0]) * (Float(column) + 0.5) / Float(resolution), y]
            }
        }
        let logits = network.forward(Tensor(shape: [resolution * resolution, 2], data: grid), modes: modes, training: false)
        let classCount = logits.shape[1]
        let classes = (0..<resolution * resolution).map { cell -> UInt8 in
            let row = logits.data[cell * classCount..<(cell + 1) * classCount]
            return UInt8(row.indices.max { row[$0] < row[$1] }! - cell * classCount)
        }
        return DecisionMap(resolution: resolution, bounds: bounds, classes: classes, points: features,
                           labels: labels.map { UInt8($0) })
    }
}
