import Datasets
import Kernels
import Network
import RunProtocol

/// The result of one training step.
public struct StepResult: Sendable {
    public let loss: Float
    public let correct: Int
    public let samples: Int
}

/// Loss and accuracy of a network on a set of samples.
public struct Evaluation: Sendable, Codable, Equatable {
    public let loss: Float
    public let accuracy: Float
}

/// Owns a network and its optimizer and performs the arithmetic of a run:
/// training steps and evaluations. Not thread-safe; the `Engine` (or a
/// benchmark) owns one.
public final class Trainer {
    public private(set) var network: ResNet
    private var optimizer: Optimizer
    /// Threads a training step may use.
    public let threads: Int
    /// Replicas that share the network's training steps out among the
    /// threads, built at the first step.
    private var dataParallel: DataParallelNetwork?
    private let settings: OptimizerSettings
    /// The batch of a data-parallel step, from which the shards take their rows.
    private var features: [Float] = []
    private var labels: [Int] = []
    /// `[batch, features]` of the last batch gathered, kept so that a step
    /// does not build the same small array again.
    private var batchShape: [Int] = []

    public init(spec: ModelSpec, optimizer settings: OptimizerSettings, seed: UInt64, threads: Int = 1) {
        network = ResNet(spec: spec, seed: seed)
        self.threads = min(max(1, threads), WorkerPool.shared.capacity)
        self.settings = settings
        optimizer = Optimizer(settings: settings, parameters: network.parameters.map(\.parameter))
    }

    /// Rebuilds the network from its seed and forgets the optimizer's state.
    public func reset(seed: UInt64) {
        network = ResNet(spec: network.spec, seed: seed)
        dataParallel = nil
        optimizer = Optimizer(settings: settings, parameters: network.parameters.map(\.parameter))
    }

    /// Forward, backward and update on the samples at `indices`. If the loss
    /// is not finite, the weights are left untouched.
    public func step(on samples: LabeledSamples, indices: ArraySlice<Int>, modes: [BlockMode], rate: Float) -> StepResult {
        let result = measure(on: samples, indices: indices, modes: modes)
        if result.loss.isFinite { optimizer.step(rate: rate) }
        return result
    }

    /// Forward and backward on the samples at `indices`, as a training step
    /// does, leaving the gradients and `network.blockStatistics` for a
    /// reader; no weight changes.
    /// The indices come as the sampler hands them out: a concrete type, so
    /// that gathering them is specialised whoever calls (a generic walk
    /// from another module allocated for every index).
    public func measure(on samples: LabeledSamples, indices: ArraySlice<Int>, modes: [BlockMode]) -> StepResult {
        network.zeroGradients()
        let (loss, correct) = computeGradients(samples, indices, modes: modes)
        return StepResult(loss: loss, correct: correct, samples: indices.count)
    }

    /// The loss and correct predictions on the samples at `indices`, with
    /// the gradients of a finite loss accumulated. On one thread the batch
    /// is gathered straight into the network's input.
    ///
    /// With more than one thread, the batch is shared out: each thread takes
    /// its share through the whole network (see `DataParallelNetwork`).
    /// Splitting each layer's work instead hands every activation between
    /// the cores, which costs most when the host places them far apart:
    /// `conv-fashion` then took 63–67 ms a step against 41–44 shared out.
    private func computeGradients(_ samples: LabeledSamples, _ indices: ArraySlice<Int>,
                                  modes: [BlockMode]) -> (loss: Float, correct: Int) {
        let shape = shape(of: indices.count, samples)
        if threads > 1 && indices.count >= threads {
            let parallel = dataParallel ?? DataParallelNetwork(network: network, shards: threads)
            dataParallel = parallel
            samples.gather(indices, features: &features, labels: &labels)
            return parallel.computeGradients(input: Tensor(shape: shape, data: features), labels: labels, modes: modes)
        }
        let logits = network.forward(shape: shape, modes: modes, training: true) { batch in
            samples.gather(indices, features: &batch, labels: &labels)
        }
        let result = softmaxCrossEntropy(logits: consume logits, labels: labels)
        let (loss, correct) = (result.loss, result.correct)
        // Handed over whole: the head gives the gradient's storage back to
        // the store, and a copy still held here would be copied on write.
        if loss.isFinite { network.accumulateGradients((consume result).gradient) }
        return (loss, correct)
    }

    /// `[batch, featureCount]`, the same array as last time when it fits.
    private func shape(of batch: Int, _ samples: LabeledSamples) -> [Int] {
        if batchShape.count != 2 || batchShape[0] != batch || batchShape[1] != samples.featureCount {
            batchShape = [batch, samples.featureCount]
        }
        return batchShape
    }

    /// Bytes of activations one evaluation batch may take: evaluation then
    /// never needs more memory than a training step.
    static let evaluationMemory = 32 << 20

    /// Mean loss and accuracy over the first `limit` samples (all by default),
    /// in evaluation mode, in batches of `batchSize` (fewer when their
    /// activations would pass `evaluationMemory`), with the blocks in
    /// `order` if one is given.
    public func evaluate(_ samples: LabeledSamples, modes: [BlockMode], limit: Int? = nil, batchSize: Int = 500,
                         order: [Int]? = nil) -> Evaluation {
        let count = min(limit ?? samples.count, samples.count)
        let batchSize = max(1, min(batchSize, Self.evaluationMemory / 4 / max(1, network.spec.activationFloatsPerSample)))
        guard count > 0 else { return Evaluation(loss: .nan, accuracy: 0) }
        var totalLoss: Double = 0
        var correct = 0
        for start in stride(from: 0, to: count, by: batchSize) {
            let end = min(start + batchSize, count)
            let logits = network.forward(shape: shape(of: end - start, samples), modes: modes, training: false,
                                         order: order) { batch in
                samples.gather(start..<end, features: &batch, labels: &labels)
            }
            let result = softmaxCrossEntropy(logits: consume logits, labels: labels)
            totalLoss += Double(result.loss) * Double(end - start)
            correct += result.correct
        }
        return Evaluation(loss: Float(totalLoss / Double(count)), accuracy: Float(correct) / Float(count))
    }
}
