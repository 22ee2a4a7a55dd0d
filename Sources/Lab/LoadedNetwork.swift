import Datasets
import Foundation
import Kernels
import Network
import RunProtocol

/// A trained network read back from a checkpoint, with the dataset it was
/// trained on, ready for experiments.
public struct LoadedNetwork {
    public let configuration: RunConfiguration
    public let dataset: Dataset
    public let trainer: Trainer
    /// The block modes the network was saved with.
    public let modes: [BlockMode]

    /// Rebuilds the network of `checkpoint` and loads its weights; `dataPath`
    /// overrides where the dataset's files are.
    public init(checkpoint: CheckpointContents, dataPath: String? = nil, threads: Int? = nil) throws {
        var configuration = checkpoint.configuration
        if let dataPath { configuration.dataPath = dataPath }
        configuration.threads = threads ?? RunConfiguration().threads
        do {
            dataset = try configuration.loadDataset()
        } catch let error as DataError {
            throw RunError(error.description)
        }
        let trainer = Trainer(spec: checkpoint.spec, optimizer: configuration.optimizerSettings, seed: configuration.seed,
                              threads: configuration.threads)
        do {
            try trainer.network.load(checkpoint.tensors)
        } catch let error as CheckpointError {
            throw RunError(error.description)
        }
        self.configuration = configuration
        self.trainer = trainer
        modes = checkpoint.modes
    }
}
