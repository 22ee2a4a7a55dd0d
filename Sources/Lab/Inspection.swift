import Datasets
import Network
import RunProtocol

extension LoadedNetwork {
    /// One forward and backward pass with the checkpoint's block modes, as a
    /// training step computes it, without changing a weight: on the batch a
    /// run with this seed and batch size draws first (what `reslab train
    /// --load` reports at step 1), or on the whole validation split.
    public func inspect(batch: Int? = nil, seed: UInt64? = nil, validation: Bool = false) throws -> InspectionResult {
        let samples = validation ? dataset.validation : dataset.train
        let indices: [Int]
        if validation {
            indices = Array(0..<samples.count)
        } else {
            let size = batch ?? configuration.resolvedBatchSize
            guard size >= 1, size <= samples.count else {
                throw RunError("--batch must be from 1 to the \(samples.count) training samples (got \(size))")
            }
            if let problem = configuration.batchProblem(size) { throw RunError(problem) }
            var sampler = BatchSampler(count: samples.count, batchSize: size, seed: (seed ?? configuration.seed) &+ 1)
            indices = Array(sampler.next())
        }
        guard !indices.isEmpty else { throw RunError("the validation split is empty: nothing to inspect") }
        if let problem = activationProblem(samples: indices.count) { throw RunError(problem + "; use --batch") }
        let result = trainer.measure(on: samples, indices: indices[...], modes: modes)
        let statistics = trainer.network.blockStatistics
        return InspectionResult(split: validation ? "validation" : "train", indices: indices, blockModes: modes,
                                loss: result.loss, accuracy: Float(result.correct) / Float(result.samples),
                                gradientNorms: statistics.map(\.weightGradientNorm),
                                inputGradientNorms: statistics.map(\.inputGradientNorm),
                                branchRatios: statistics.map(\.branchRatio))
    }
}
