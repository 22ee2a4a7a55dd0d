import ArgumentParser
import Lab
import Network

extension DatasetName: ExpressibleByArgument {}
extension ModelKind: ExpressibleByArgument {}
extension ActivationKind: ExpressibleByArgument {}
extension NormKind: ExpressibleByArgument {}
extension InitKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension BenchmarkWorkload: ExpressibleByArgument {}

/// `on` or `off`, for `--skip`.
enum Switch: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

/// The options every training front end shares (DESIGN.md, "CLI").
struct RunOptions: ParsableArguments {
    @Option(help: "Dataset.") var dataset: DatasetName = .spirals
    @Option(help: "Directory with the dataset's files.") var data: String?
    @Option(help: "Points to generate (2-D datasets).") var samples: Int = 3000
    @Option(help: "Gaussian noise of generated points.") var noise: Float = 0.03
    @Option(help: "Spiral arms (or gaussian blobs).") var arms: Int = 3
    @Option(help: "Network family.") var model: ModelKind = .dense
    @Option(help: "Blocks (dense) or blocks per stage (conv). Default 20 or 3.") var depth: Int?
    @Option(help: "Hidden width. Default 32 (dense) or 16 (conv).") var width: Int?
    @Option(help: "Activation.") var activation: ActivationKind = .relu
    @Option(help: "Normalisation in each branch.") var norm: NormKind = .batch
    @Option(help: "Initialisation; 'zero' starts every branch at zero.") var `init`: InitKind = .he
    @Option(help: "Skip connections on, or off (a plain net).") var skip: Switch = .on
    @Option(help: "Optimizer.") var optimizer: OptimizerKind = .sgd
    @Option(help: "Peak learning rate. Default 0.1 (sgd) or 0.003 (adam).") var lr: Float?
    @Option(help: "Learning-rate schedule.") var schedule: LearningRateSchedule = .onecycle
    @Option(help: "SGD momentum.") var momentum: Float = 0.9
    @Option(name: .customLong("weight-decay"), help: "L2 weight decay.") var weightDecay: Float = 5e-4
    @Option(help: "Mini-batch size.") var batch: Int = 128
    @Option(help: "Random seed: the same seed and thread count give the same run.") var seed: UInt64 = 1
    @Option(help: "Threads for the kernels.") var threads: Int = RunConfiguration().threads
    @Option(help: "Training steps.") var steps: Int?
    @Option(help: "Training epochs (used when --steps is not given).") var epochs: Int?
    @Option(name: .customLong("eval-every"), help: "Steps between validation passes.") var evalEvery: Int?

    /// The run configuration these options describe.
    func configuration() throws -> RunConfiguration {
        var c = RunConfiguration()
        c.dataset = dataset
        c.dataPath = data
        c.samples = samples
        c.noise = noise
        c.arms = arms
        c.model = model
        c.depth = depth
        c.width = width
        c.activation = activation
        c.norm = norm
        c.initialization = `init`
        c.skip = skip == .on
        c.optimizer = optimizer
        c.learningRate = lr
        c.schedule = schedule
        c.momentum = momentum
        c.weightDecay = weightDecay
        c.batchSize = batch
        c.seed = seed
        c.threads = threads
        c.steps = steps
        c.epochs = epochs
        c.evaluationInterval = evalEvery
        if let problem = c.problems.first { throw ValidationError(problem) }
        return c
    }
}
