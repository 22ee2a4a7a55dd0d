import Foundation

/// What the engine is doing.
public enum EngineState: String, Codable, Sendable {
    case training, paused, evaluating, diverged, finished
}

/// A timestamped line for the event log.
public struct EngineEvent: Codable, Sendable, Equatable {
    /// Increases by one with every event, so a reader can skip ones it has seen.
    public let id: Int
    /// Seconds since the run started.
    public let time: Double
    public let message: String

    public init(id: Int, time: Double, message: String) {
        self.id = id
        self.time = time
        self.message = message
    }
}

/// Everything a screen or a log line needs to know about a run at one
/// moment. A value: it crosses the actor boundary by copy.
public struct Snapshot: Codable, Sendable, Equatable {
    public var kind = "train"
    /// Which run of a pair this is (`residual` or `plain` with `--twin`), or nil.
    public var run: String?
    public var step = 0
    public var totalSteps = 0
    /// Epochs completed, with the fraction of the current one.
    public var epoch = 0.0
    /// Mean training loss and accuracy over the steps since the last snapshot,
    /// or, on a snapshot published with an evaluation (the last one too),
    /// since the last evaluation: the same figures however often the engine publishes.
    public var trainLoss: Float?
    public var trainAccuracy: Float?
    /// Validation of the network as trained (every block as in training).
    public var validationLoss: Float?
    public var validationAccuracy: Float?
    /// Validation with the current block modes, when they differ from training's.
    public var lesionedValidationAccuracy: Float?
    /// Test-set figures, on the last snapshot of a finished run.
    public var testLoss: Float?
    public var testAccuracy: Float?
    /// ‖∂L/∂W‖ of each block's branch, input to output.
    public var gradientNorms: [Float] = []
    /// ‖∂L/∂x‖ at each block's input.
    public var inputGradientNorms: [Float] = []
    /// ‖F(x)‖ / ‖S(x)‖ per block, where measured.
    public var branchRatios: [Float?] = []
    public var blockModes: [BlockMode] = []
    public var scope: LesionScope = .eval
    public var samplesPerSecond: Double = 0
    public var learningRate: Float = 0
    public var state: EngineState = .training
    public var elapsedSeconds: Double = 0
    /// The most recent events, oldest first.
    public var events: [EngineEvent] = []
    /// The step of the latest evaluation, so a screen knows when the
    /// validation figures are new.
    public var evaluatedAtStep = 0
    /// Decision regions with the current modes (2-D datasets, live runs).
    public var decisionMap: DecisionMap?
    /// Names for the header: dataset, model and size.
    public var title = ""
    /// What was trained, as fields (no screen parses the title).
    public var dataset = ""
    public var model = ""
    public var depth = 0
    public var width = 0
    public var activation = ""
    public var norm = ""
    /// Classes of the dataset: chance accuracy is 1 / classes.
    public var classes = 0
    public var seed: UInt64 = 0
    public var threads = 0
    /// The experiment running now, if any (training is paused meanwhile).
    public var experiment: ExperimentProgress?
    /// The latest results of the screen's experiments.
    public var lesionSweep: SingleLesionResult?
    public var kDeletions: [KDeletionResult]?
    public var paths: PathResult?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case kind, run, step, epoch, scope, state, events, title
        case dataset, model, depth, width, activation, norm, classes, seed, threads
        case evaluatedAtStep = "evaluated_at_step"
        case decisionMap = "decision_map"
        case experiment
        case lesionSweep = "lesion_sweep"
        case kDeletions = "k_deletions"
        case paths
        case totalSteps = "total_steps"
        case trainLoss = "train_loss"
        case trainAccuracy = "train_acc"
        case validationLoss = "val_loss"
        case validationAccuracy = "val_acc"
        case lesionedValidationAccuracy = "lesioned_val_acc"
        case testLoss = "test_loss"
        case testAccuracy = "test_acc"
        case gradientNorms = "grad_norm"
        case inputGradientNorms = "input_grad_norm"
        case branchRatios = "branch_ratio"
        case blockModes = "block_modes"
        case samplesPerSecond = "samples_per_s"
        case learningRate = "lr"
        case elapsedSeconds = "elapsed_s"
    }
}
