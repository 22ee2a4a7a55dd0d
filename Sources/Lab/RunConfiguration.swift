import Foundation
import Network
import RunProtocol

/// The datasets ResLab can train on.
public enum DatasetName: String, CaseIterable, Codable, Sendable {
    case spirals, moons, circles, xor, gauss, checkerboard
    case shapes
    case mnist
    case fashionMNIST = "fashion-mnist"
    case cifar10

    /// Generated two-dimensional points.
    public var isPlanar: Bool {
        switch self {
        case .spirals, .moons, .circles, .xor, .gauss, .checkerboard: return true
        case .shapes, .mnist, .fashionMNIST, .cifar10: return false
        }
    }

    /// The shape of one sample, known before the data is read (a test holds
    /// the readers to it), so that sizes can be checked first.
    public var sampleShape: [Int] {
        switch self {
        case .spirals, .moons, .circles, .xor, .gauss, .checkerboard: return [2]
        case .shapes, .mnist, .fashionMNIST: return [1, 28, 28]
        case .cifar10: return [3, 32, 32]
        }
    }
}

/// Everything that defines a run. Optional fields fall back to defaults that
/// depend on the others (see the computed properties below).
public struct RunConfiguration: Codable, Sendable, Equatable {
    public var dataset: DatasetName = .spirals
    public var dataPath: String?
    /// Generated samples; defaults to 3000 points or 12 000 shapes.
    public var samples: Int?
    /// Noise of generated samples; defaults to 0.03 for points, 0.1 for shapes.
    public var noise: Float?
    public var arms: Int = 3
    public var model: ModelKind = .dense
    /// Blocks (dense) or blocks per stage (conv); defaults to 20 or 3.
    public var depth: Int?
    /// Hidden width; defaults to 32 (dense) or 16 (conv).
    public var width: Int?
    public var activation: ActivationKind = .relu
    public var norm: NormKind = .batch
    public var initialization: InitKind = .he
    /// `false` starts every block in plain mode, in scope "train".
    public var skip = true
    /// Where block modes apply at the start; defaults to "eval", or "train" when skips are off.
    public var scope: LesionScope?
    /// Also train the plain twin: the same network, weights and batches, without skips.
    public var twin = false
    public var optimizer: OptimizerKind = .sgd
    /// Peak learning rate; defaults to 0.1 for SGD, 3e-3 for Adam.
    public var learningRate: Float?
    /// Defaults to one-cycle when the run has a length.
    public var schedule: LearningRateSchedule?
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    /// Defaults to 128 for points, 64 for images.
    public var batchSize: Int?
    public var seed: UInt64 = 1
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var steps: Int?
    public var epochs: Int?
    /// Steps between evaluations on the validation set.
    public var evaluationInterval: Int?
    /// Test samples the live lesion keys evaluate on (all by default): fewer
    /// trade precision for speed on image sets.
    public var sweepLimit: Int?

    public init() {}

    public var resolvedSamples: Int { samples ?? (dataset.isPlanar ? 3000 : 12_000) }
    public var resolvedNoise: Float { noise ?? (dataset.isPlanar ? 0.03 : 0.1) }
    public var resolvedBatchSize: Int { batchSize ?? (dataset.isPlanar ? 128 : 64) }
    public var resolvedScope: LesionScope { scope ?? (skip ? .eval : .train) }

    /// The plain twin of this run: every skip off, trained that way.
    public var plainTwin: RunConfiguration {
        var twin = self
        twin.skip = false
        twin.scope = .train
        twin.twin = false
        return twin
    }

    public var resolvedDepth: Int { depth ?? (model == .dense ? 20 : 3) }
    public var resolvedWidth: Int { width ?? (model == .dense ? 32 : 16) }
    public var peakLearningRate: Float { learningRate ?? (optimizer == .sgd ? 0.1 : 3e-3) }
    public var resolvedSchedule: LearningRateSchedule { schedule ?? .onecycle }

    /// The run's length in steps, given the batches in one epoch.
    public func totalSteps(batchesPerEpoch: Int) -> Int {
        if let steps { return steps }
        if let epochs { return epochs * batchesPerEpoch }
        return dataset.isPlanar ? 2000 : batchesPerEpoch
    }

    public var optimizerSettings: OptimizerSettings {
        OptimizerSettings(kind: optimizer, momentum: momentum, nesterov: true, weightDecay: weightDecay)
    }

    /// The network for samples of `shape` in `classes` classes.
    public func modelSpec(sampleShape: [Int], classes: Int) -> ModelSpec {
        ModelSpec(kind: model, inputShape: sampleShape, classes: classes, depth: resolvedDepth, width: resolvedWidth,
                  activation: activation, norm: norm, initialization: initialization)
    }

    /// Why `--steps steps` cannot be run, or nil: also for `reslab bench --memory`.
    public static func stepsProblem(_ steps: Int) -> String? {
        if steps < 1 { return "--steps must be at least 1 (got \(steps))" }
        if steps > maximumSteps { return "--steps \(steps) is more than a run takes (at most \(maximumSteps))" }
        return nil
    }

    /// Why `threads` cannot run here, if it cannot. The kernels' pool has a
    /// thread per core and never more, so a larger count would run on fewer
    /// threads than it says: its figures and its loss curve would be another
    /// count's.
    public static func threadsProblem(_ threads: Int) -> String? {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        guard threads < 1 || threads > cores else { return nil }
        return "--threads must be from 1 to \(cores), the cores of this machine (got \(threads))"
    }

    /// Caps on what options (and checkpoint metadata) may ask for, checked
    /// before anything is allocated or multiplied.
    public static let maximumSamples = 10_000_000
    public static let maximumArms = 64
    public static let maximumSteps = 1_000_000_000
    public static let maximumEpochs = 100_000
    public static let maximumBatch = 1 << 16

    /// Why a batch of `size` samples is too large to take, if it is.
    public static func largeBatchProblem(_ size: Int) -> String? {
        size > maximumBatch ? "--batch \(size) is too large (at most \(maximumBatch))" : nil
    }

    /// Why the network this configuration asks for cannot be built or
    /// trained here (its architecture, or the memory it would need), checked
    /// before any data is read or any weight allocated.
    var sizeProblem: String? {
        let classes = dataset.isPlanar ? max(arms, 2) : 10
        let spec = modelSpec(sampleShape: dataset.sampleShape, classes: classes)
        if let problem = spec.problem { return problem }
        return spec.memoryProblem(batchSize: resolvedBatchSize, shards: threads, optimizerCopies: optimizer == .adam ? 2 : 1)
    }

    /// Why a batch of `size` gives this configuration's network no
    /// gradient, if it does not: a dense network's batch norm over one
    /// sample normalises every value to 0 (a convolution's still has the
    /// image's pixels, and layer norm needs no batch).
    func batchProblem(_ size: Int) -> String? {
        guard size == 1 && model == .dense && norm == .batch else { return nil }
        return "--batch 1 leaves batch norm in a dense network nothing to normalise over (each feature's batch mean "
            + "is the sample itself, so every normalised value is 0): use --batch 2 or more, or a network without batch norm"
    }

    /// Every reason this configuration cannot run, as sentences for the user.
    public var problems: [String] {
        var found: [String] = []
        func positive(_ value: Int?, _ name: String) {
            if let value, value < 1 { found.append("--\(name) must be at least 1 (got \(value))") }
        }
        positive(depth, "depth")
        positive(width, "width")
        positive(batchSize, "batch")
        if let steps, let problem = Self.stepsProblem(steps) { found.append(problem) }
        positive(epochs, "epochs")
        if let problem = Self.threadsProblem(threads) { found.append(problem) }
        if twin && !skip {
            found.append("--skip off cannot be combined with --twin or a twin lesson (vanishing, degradation, lesion): "
                         + "the twin already is the plain network; drop --skip off, or --twin")
        }
        positive(evaluationInterval, "eval-every")
        positive(sweepLimit, "sweep-limit")
        if let samples, samples < 10 { found.append("--samples must be at least 10 (got \(samples))") }
        if let samples, samples > Self.maximumSamples {
            found.append("--samples \(samples) is more than this lab generates (at most \(Self.maximumSamples))")
        }
        if arms < 2 { found.append("--arms must be at least 2 (got \(arms))") }
        if arms > Self.maximumArms { found.append("--arms \(arms) is more than this lab draws (at most \(Self.maximumArms))") }
        if let epochs, epochs > Self.maximumEpochs { found.append("--epochs \(epochs) is more than a run takes (at most \(Self.maximumEpochs))") }
        if let noise, !(noise >= 0) { found.append("--noise must be zero or positive (got \(noise))") }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            found.append("--lr must be a positive number (got \(learningRate))")
        }
        if !(momentum >= 0 && momentum < 1) { found.append("--momentum must be in [0, 1) (got \(momentum))") }
        if !(weightDecay >= 0) { found.append("--weight-decay must be zero or positive (got \(weightDecay))") }
        if let problem = Self.largeBatchProblem(resolvedBatchSize) { found.append(problem) }
        if let problem = batchProblem(resolvedBatchSize) { found.append(problem) }
        if found.isEmpty, let problem = sizeProblem { found.append(problem) }
        return found
    }
}
