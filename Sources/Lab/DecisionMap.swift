import Datasets
import Network
import RunProtocol

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
