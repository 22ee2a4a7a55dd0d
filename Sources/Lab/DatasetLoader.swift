import Datasets
import Foundation
import Kernels

extension RunConfiguration {
    /// Builds or reads the dataset this configuration names. Errors name the
    /// file and the problem.
    public func loadDataset() throws -> Dataset {
        // Reading a dataset's files leaves their compressed bytes and the
        // reader's buffers freed but resident.
        defer { releaseFreedMemory() }
        let directory = dataPath.map { URL(fileURLWithPath: $0) }
        switch dataset {
        case .spirals, .moons, .circles, .xor, .gauss, .checkerboard:
            let shape = PlanarShape(rawValue: dataset.rawValue)!
            return shape.generate(samples: resolvedSamples, noise: resolvedNoise, arms: arms, seed: seed &+ 0x5EED)
        case .shapes:
            return ShapesDataset.generate(samples: resolvedSamples, noise: resolvedNoise, seed: seed &+ 0x5EED)
        case .fashionMNIST:
            return try ImageDatasets.fashionMNIST(directory: directory)
        case .mnist:
            return try ImageDatasets.mnist(directory: directory)
        case .cifar10:
            return try ImageDatasets.cifar10(directory: directory)
        }
    }
}
