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

    /// Batches whose activations would take more than this (2 GB) are refused.
    static let largestBatchActivations = 2 << 30

    /// Why `samples` samples cannot go through the network at once, if
    /// they cannot: none, or activations of more than `largestBatchActivations`.
    public func activationProblem(samples: Int) -> String? {
        let bytes = samples.multipliedReportingOverflow(by: 4 * max(1, trainer.network.spec.activationFloatsPerSample))
        guard bytes.overflow || bytes.partialValue > Self.largestBatchActivations else { return nil }
        return "\(samples) samples at once would need more than \(Self.largestBatchActivations >> 30) GB of activations"
    }

    /// Rebuilds the network of `checkpoint` and loads its weights; `dataPath`
    /// overrides where the dataset's files are.
    public init(checkpoint: CheckpointContents, dataPath: String? = nil, threads: Int? = nil) throws {
        var configuration = checkpoint.configuration
        if let dataPath { configuration.dataPath = dataPath }
        configuration.threads = threads ?? RunConfiguration().threads
        // The metadata is as hostile as the weights: validate it as options are validated.
        if let problem = configuration.problems.first { throw RunError("the checkpoint's configuration: " + problem) }
        if let problem = checkpoint.spec.problem { throw RunError("the checkpoint's network: " + problem) }
        do {
            dataset = try configuration.loadDataset()
        } catch let error as DataError {
            throw RunError(error.description)
        }
        let expected = configuration.modelSpec(sampleShape: dataset.sampleShape, classes: dataset.classCount)
        let differences = Checkpoint.differences(stored: checkpoint.spec, requested: expected)
        guard differences.isEmpty else {
            throw RunError("the checkpoint's network does not fit its dataset \(dataset.name): " + differences.joined(separator: "; "))
        }
        guard checkpoint.modes.count == checkpoint.spec.blockCount else {
            throw RunError("the checkpoint names \(checkpoint.modes.count) block modes for \(checkpoint.spec.blockCount) blocks")
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
