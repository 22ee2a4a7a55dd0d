import Datasets

/// A dataset could not be loaded; the message names the file and the problem.
public struct DatasetError: Error, CustomStringConvertible {
    public let description: String
}

extension RunConfiguration {
    /// Builds or reads the dataset this configuration names.
    public func loadDataset() throws -> Dataset {
        switch dataset {
        case .spirals, .moons, .circles, .xor, .gauss, .checkerboard:
            let shape = PlanarShape(rawValue: dataset.rawValue)!
            return shape.generate(samples: samples, noise: noise, arms: arms, seed: seed &+ 0x5EED)
        }
    }
}
