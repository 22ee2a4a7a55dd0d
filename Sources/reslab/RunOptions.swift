import ArgumentParser
import Foundation
import Lab
import Network
import RunProtocol

extension DatasetName: ExpressibleByArgument {}
extension ModelKind: ExpressibleByArgument {}
extension ActivationKind: ExpressibleByArgument {}
extension NormKind: ExpressibleByArgument {}
extension InitKind: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}
extension BenchmarkWorkload: ExpressibleByArgument {}
extension BlockMode: ExpressibleByArgument {}
extension LesionScope: ExpressibleByArgument {}
extension Preset: ExpressibleByArgument {}

/// `on` or `off`, for `--skip`.
enum Switch: String, ExpressibleByArgument, CaseIterable {
    case on, off
}

/// The options every training front end shares (DESIGN.md, "CLI").
/// Numbers are parsed `.unconditional`ly, so that `--depth -3` reaches
/// validation and gets its reason, instead of being taken for an option.
/// Every option is optional: what is not given comes from the checkpoint
/// named by `--load`, or else from the defaults of `RunConfiguration`.
struct RunOptions: ParsableArguments {
    @Option(help: "Dataset. (default: spirals)") var dataset: DatasetName?
    @Option(help: "Directory with the dataset's files (mnist, cifar10; fashion-mnist defaults to the Debian package's).")
    var data: String?
    @Option(parsing: .unconditional, help: "Samples to generate (2-D sets and shapes). (default: 3000 points, 12000 shapes)") var samples: Int?
    @Option(parsing: .unconditional, help: "Noise of generated samples. (default: 0.03 points, 0.1 shapes)") var noise: Float?
    @Option(parsing: .unconditional, help: "Spiral arms (or gaussian blobs). (default: 3)") var arms: Int?
    @Option(help: "Network family. (default: dense)") var model: ModelKind?
    @Option(parsing: .unconditional, help: "Blocks (dense) or blocks per stage (conv). (default: 20 dense, 3 conv)") var depth: Int?
    @Option(parsing: .unconditional, help: "Hidden width. (default: 32 dense, 16 conv)") var width: Int?
    @Option(help: "Activation. (default: relu)") var activation: ActivationKind?
    @Option(help: "Normalisation in each branch. (default: batch)") var norm: NormKind?
    @Option(help: "Initialisation; 'zero' starts every branch at zero. (default: he)") var `init`: InitKind?
    @Option(help: "Skip connections on, or off (a plain net). (default: on)") var skip: Switch?
    @Option(help: "Optimizer. (default: sgd)") var optimizer: OptimizerKind?
    @Option(parsing: .unconditional, help: "Peak learning rate. (default: 0.1 sgd, 0.003 adam)") var lr: Float?
    @Option(help: "Learning-rate schedule. (default: onecycle)") var schedule: LearningRateSchedule?
    @Option(parsing: .unconditional, help: "SGD momentum. (default: 0.9)") var momentum: Float?
    @Option(name: .customLong("weight-decay"), parsing: .unconditional, help: "L2 weight decay. (default: 0.0005)") var weightDecay: Float?
    @Option(parsing: .unconditional, help: "Mini-batch size. (default: 128 points, 64 images)") var batch: Int?
    @Option(parsing: .unconditional, help: "Random seed: the same seed and thread count give the same run. (default: 1)") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Threads for the kernels. (default: all cores)") var threads: Int?
    @Option(parsing: .unconditional, help: "Training steps. (default: 2000 for points, one epoch for images)") var steps: Int?
    @Option(parsing: .unconditional, help: "Training epochs, used when --steps is not given.") var epochs: Int?
    @Option(name: .customLong("eval-every"), parsing: .unconditional, help: "Steps between validation passes.") var evalEvery: Int?
    @Option(name: .customLong("sweep-limit"), parsing: .unconditional,
            help: "Test samples the live lesion keys (L, K) evaluate on: fewer for speed. (default: the whole test split)")
    var sweepLimit: Int?
    @Option(help: "A lesson: vanishing, degradation, lesion, lesion-conv or paths. Options given as well override it.")
    var preset: Preset?
    @Flag(help: "Also train the plain twin (same weights and batches, skips off), side by side.") var twin = false
    @Option(help: "Where lesions apply at the start: eval (training stays intact) or train. (default: eval)")
    var scope: LesionScope?
    @Option(help: "Start from the weights, configuration and block modes of this checkpoint.") var load: String?
    @Option(help: "Write a checkpoint (safetensors) here when the run ends.") var save: String?

    /// The checkpoint named by `--load`, if any.
    func checkpoint() throws -> CheckpointContents? {
        guard let load else { return nil }
        do {
            return try Checkpoint.load(URL(fileURLWithPath: load))
        } catch let error as CheckpointError {
            throw RunError(error.description)
        }
    }

    /// The runs these options describe: one, or one per run of a preset.
    func configurations(base: RunConfiguration = RunConfiguration()) throws -> [RunConfiguration] {
        guard let preset else { return [try configuration(base: base)] }
        return try preset.configurations(base: base).map { try configuration(base: $0) }
    }

    /// The run configuration: `base` with every given option applied.
    func configuration(base: RunConfiguration = RunConfiguration()) throws -> RunConfiguration {
        var c = base
        func set<T>(_ keyPath: WritableKeyPath<RunConfiguration, T>, _ value: T?) {
            if let value { c[keyPath: keyPath] = value }
        }
        func set<T>(_ keyPath: WritableKeyPath<RunConfiguration, T?>, _ value: T?) {
            if let value { c[keyPath: keyPath] = value }
        }
        set(\.dataset, dataset)
        set(\.dataPath, data)
        set(\.samples, samples)
        set(\.noise, noise)
        set(\.arms, arms)
        set(\.model, model)
        set(\.depth, depth)
        set(\.width, width)
        set(\.activation, activation)
        set(\.norm, norm)
        set(\.initialization, `init`)
        set(\.skip, skip.map { $0 == .on })
        set(\.optimizer, optimizer)
        set(\.learningRate, lr)
        set(\.schedule, schedule)
        set(\.momentum, momentum)
        set(\.weightDecay, weightDecay)
        set(\.batchSize, batch)
        set(\.seed, seed)
        c.threads = threads ?? RunConfiguration().threads
        set(\.steps, steps)
        set(\.epochs, epochs)
        set(\.evaluationInterval, evalEvery)
        set(\.sweepLimit, sweepLimit)
        set(\.scope, scope)
        if twin { c.twin = true }
        if let problem = c.problems.first { throw ValidationError(problem) }
        if let save { try checkOutputFile(save, option: "--save") }
        return c
    }
}
