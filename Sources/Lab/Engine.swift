import Datasets
import Foundation
import Kernels
import Network
import RunProtocol
import Synchronization

/// When the engine publishes snapshots.
public enum PublishPolicy: Sendable {
    /// After every evaluation, and never drop one: a log that is the same for
    /// the same seed (headless runs).
    case everyEvaluation
    /// Also on a timer, keeping only the newest (screens).
    case live(interval: Duration)
}

/// The training engine. It owns the dataset, the network and the loop; the
/// outside world talks to it only through `send(_:)` and `snapshots`. It
/// runs on a thread of its own (see `EngineThread`).
public actor Engine {
    public let configuration: RunConfiguration
    public let dataset: Dataset
    /// Published snapshots; finishes when the run ends.
    public nonisolated let snapshots: AsyncStream<Snapshot>

    private let continuation: AsyncStream<Snapshot>.Continuation
    private let mailbox = Mutex<[Command]>([])
    private let policy: PublishPolicy
    private let trainer: Trainer
    private var sampler: BatchSampler
    private let totalSteps: Int
    private let evaluationInterval: Int
    private let validationLimit: Int
    /// Whether the engine waits for commands once training has ended, instead of stopping.
    private let staysAfterTraining: Bool
    /// The weights a reset returns to: the loaded checkpoint's, or none
    /// (a fresh network from the seed).
    private let startingTensors: CheckpointContents?

    private var step = 0
    private var modes: [BlockMode]
    private var scope: LesionScope
    private var peakRate: Float
    private var state = EngineState.training
    private var pendingSteps = 0
    private var quitRequested = false
    /// Set once the last snapshot has gone out.
    private var publishingEnded = false
    /// What the snapshots say of the run itself: its names and sizes, fixed at init.
    private var identity = Snapshot()
    private var evaluations = Evaluations()
    private var metrics: StepMetrics
    private var log = EventLog()
    /// The rate of the latest step (or of the first, before any).
    private var learningRate: Float
    /// The kernels' thread count in effect while the engine runs.
    private var threadsInEffect = 0
    private var experiment: LiveExperiment?
    private var queuedExperiments: [LiveExperiment.Kind] = []
    private var stateBeforeExperiment = EngineState.training
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    /// The one thread all of the engine's work runs on.
    private let thread = EngineThread(name: "reslab-engine")

    public nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    private var lastPublish: ContinuousClock.Instant

    /// Builds the dataset and the network. Throws with a readable message if
    /// the configuration is invalid or the data cannot be read.
    /// A live engine (`.live` policy) always stays after training, for lesions;
    /// a headless one only when `staysAfterTraining` (a `Run` with work left for the end).
    /// Event times count from `origin` (default: now), so engines that run side by side can share one.
    public init(configuration: RunConfiguration, policy: PublishPolicy = .everyEvaluation,
                checkpoint: CheckpointContents? = nil, label: String? = nil, staysAfterTraining: Bool = false,
                origin: ContinuousClock.Instant? = nil) throws {
        if let problem = configuration.problems.first { throw RunError(problem) }
        self.configuration = configuration
        self.policy = policy
        if case .live = policy { self.staysAfterTraining = true } else { self.staysAfterTraining = staysAfterTraining }
        do {
            dataset = try configuration.loadDataset()
        } catch let error as DataError {
            throw RunError(error.description)
        }
        guard dataset.train.count >= configuration.resolvedBatchSize else {
            throw RunError("the training split of \(dataset.name) holds \(dataset.train.count) samples, fewer than one batch of "
                           + "\(configuration.resolvedBatchSize); use a smaller --batch or more data")
        }
        let spec = configuration.modelSpec(sampleShape: dataset.sampleShape, classes: dataset.classCount)
        if let problem = spec.problem { throw RunError(problem) }
        trainer = Trainer(spec: spec, optimizer: configuration.optimizerSettings, seed: configuration.seed,
                          threads: configuration.threads)
        if let checkpoint {
            let differences = Checkpoint.differences(stored: checkpoint.spec, requested: spec)
            guard differences.isEmpty else {
                throw RunError("the checkpoint holds a different network: " + differences.joined(separator: "; "))
            }
            do {
                try trainer.network.load(checkpoint.tensors)
            } catch let error as CheckpointError {
                throw RunError(error.description)
            }
        }
        startingTensors = checkpoint
        let sampler = BatchSampler(count: dataset.train.count, batchSize: configuration.resolvedBatchSize,
                                   seed: configuration.seed &+ 1)
        self.sampler = sampler
        totalSteps = configuration.totalSteps(batchesPerEpoch: sampler.batchesPerEpoch)
        evaluationInterval = configuration.evaluationInterval
            ?? max(1, min(sampler.batchesPerEpoch, configuration.dataset.isPlanar ? 100 : 200))
        switch (policy, configuration.dataset.isPlanar) {
        case (_, true): validationLimit = 10_000
        case (.live, false): validationLimit = 256
        case (.everyEvaluation, false): validationLimit = 2000
        }
        modes = checkpoint?.modes ?? Array(repeating: configuration.skip ? .residual : .plain, count: spec.blockCount)
        scope = configuration.resolvedScope
        peakRate = configuration.peakLearningRate
        learningRate = configuration.resolvedSchedule.rate(step: 0, totalSteps: totalSteps, peak: peakRate)
        let size = configuration.model == .dense ? "\(spec.depth)×\(spec.width)" : "3×\(spec.depth)×\(spec.width)"
        identity.title = "\(dataset.name) · \(configuration.model.rawValue) \(size)"
        identity.dataset = configuration.dataset.rawValue
        identity.model = configuration.model.rawValue
        identity.depth = spec.depth
        identity.width = spec.width
        identity.activation = configuration.activation.rawValue
        identity.norm = configuration.norm.rawValue
        identity.classes = dataset.classCount
        identity.seed = configuration.seed
        identity.run = label
        metrics = StepMetrics(blocks: spec.blockCount)
        start = origin ?? ContinuousClock.now
        lastPublish = start
        switch policy {
        case .everyEvaluation: (snapshots, continuation) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        case .live: (snapshots, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        }
    }

    deinit { thread.stop() }

    /// Queues a command; it takes effect before the next training step.
    public nonisolated func send(_ command: Command) {
        mailbox.withLock { $0.append(command) }
    }

    /// Trains until the run's length is reached, a `quit` arrives, or the
    /// loss diverges; then publishes a final snapshot and finishes the stream.
    public func run() async {
        // Every kernel of this run uses the run's own thread count, passed down the task.
        await WorkerPool.withThreads(configuration.threads) { await loop() }
    }

    private func loop() async {
        threadsInEffect = WorkerPool.shared.threads
        note("training \(dataset.name) · \(configuration.model.rawValue) · \(modes.count) blocks")
        evaluateAndPublish()
        while !quitRequested && !Task.isCancelled {
            applyCommands()
            if quitRequested { break }
            if let running = experiment {
                advance(running)
                await Task.yield()
                continue
            }
            if step >= totalSteps {
                guard staysAfterTraining else { break }
                // A screen (or a run with work left) keeps the finished network until it quits.
                if state != .finished { finishTraining() }
                try? await Task.sleep(for: .milliseconds(15))
                continue
            }
            if state != .training && pendingSteps == 0 {
                try? await Task.sleep(for: .milliseconds(15))
                continue
            }
            if pendingSteps > 0 { pendingSteps -= 1 }
            trainOneStep()
            if state == .diverged { continue }
            if step % evaluationInterval == 0 || step == totalSteps {
                evaluateAndPublish()
            } else if case .live(let interval) = policy, clock.now - lastPublish >= interval || state == .paused {
                publish()
            }
            await Task.yield()
        }
        finish()
    }

    // MARK: - Steps

    private var isLive: Bool {
        if case .live = policy { return true }
        return false
    }

    /// Evaluation batches of at least 100 samples (the trainer takes fewer
    /// when their activations would take too much memory).
    private var evaluationBatch: Int { max(configuration.resolvedBatchSize, 100) }

    /// The modes training runs with: the lesioned ones, or with lesions
    /// scoped to evaluation, every block intact (kept, so that a step does
    /// not build the array again).
    private var trainingModes: [BlockMode] {
        if scope == .train { return modes }
        if intactModes.count != modes.count { intactModes = Array(repeating: .residual, count: modes.count) }
        return intactModes
    }
    private var intactModes: [BlockMode] = []

    private func trainOneStep() {
        let rate = configuration.resolvedSchedule.rate(step: step, totalSteps: totalSteps, peak: peakRate)
        let began = clock.now
        let result = trainer.step(on: dataset.train, indices: sampler.next(), modes: trainingModes, rate: rate)
        let elapsed = clock.now - began
        step += 1
        learningRate = rate
        guard result.loss.isFinite else {
            state = .diverged
            note("diverged at step \(step): the loss is \(result.loss.isNaN ? "NaN" : "infinite"); lower the learning rate (now \(peakRate))")
            publish()
            return
        }
        metrics.add(result, blocks: trainer.network.blocks, time: elapsed)
    }

    private func evaluateAndPublish() {
        let trained = trainer.evaluate(dataset.validation, modes: trainingModes, limit: validationLimit,
                                       batchSize: evaluationBatch)
        evaluations.validationLoss = trained.loss.isFinite ? trained.loss : nil
        evaluations.validationAccuracy = trained.accuracy
        evaluations.lesionedAccuracy = modes == trainingModes ? nil
            : trainer.evaluate(dataset.validation, modes: modes, limit: validationLimit, batchSize: evaluationBatch).accuracy
        evaluations.evaluatedAtStep = step
        if isLive && dataset.isPlanar {
            evaluations.decisionMap = trainer.decisionMap(for: dataset.validation, modes: modes)
        }
        publish(atEvaluation: true)
    }

    // MARK: - Commands

    private func applyCommands() {
        let commands = mailbox.withLock { queue in
            defer { queue.removeAll() }
            return queue
        }
        for command in commands { apply(command) }
        // Let a screen see the new state at once, even while paused.
        if !commands.isEmpty && isLive && !quitRequested { publish() }
    }

    private func apply(_ command: Command) {
        switch command {
        case .pause where state == .training:
            state = .paused
            note("paused at step \(step)")
        case .resume where state == .paused:
            state = .training
            note("resumed")
        case .pause, .resume:
            break
        case .togglePause:
            apply(state == .paused ? .resume : .pause)
        case .step:
            if state == .paused { pendingSteps += 1 }
        case .setMode(let block, let mode):
            guard blockExists(block), modes[block] != mode else { return }
            changeModes(describing: "block \(block + 1) \(mode.rawValue)") { $0[block] = mode }
        case .setAllModes(let mode):
            changeModes(describing: "all blocks \(mode.rawValue)") { $0 = $0.map { _ in mode } }
        case .toggleSkip(let block):
            guard blockExists(block) else { return }
            apply(.setMode(block: block, mode: modes[block] == .residual ? .plain : .residual))
        case .toggleDelete(let block):
            guard blockExists(block) else { return }
            apply(.setMode(block: block, mode: modes[block] == .deleted ? .residual : .deleted))
        case .toggleAllSkips:
            toggleAllSkips()
        case .toggleScope:
            apply(.setScope(scope == .eval ? .train : .eval))
        case .setScope(let newScope):
            guard newScope != scope else { return }
            scope = newScope
            note("lesion scope: \(newScope == .eval ? "evaluation only" : "training and evaluation")")
            evaluateAndPublish()
        case .evaluate:
            evaluateAndPublish()
            note("evaluated at step \(step): val acc \(percent(evaluations.validationAccuracy))")
        case .scaleLearningRate(let factor):
            guard factor > 0, factor.isFinite else { return note("the learning rate takes a positive factor (got \(factor))") }
            peakRate *= factor
            note("learning rate \(peakRate)")
        case .reset:
            reset()
        case .lesionSweep: start(.sweep)
        case .kDeletionCurve: start(.kCurve)
        case .pathReport: start(.paths)
        case .cancelExperiment:
            guard let running = experiment else { return }
            queuedExperiments.removeAll()
            note("\(running.kind.rawValue) cancelled")
            endExperiment()
        case .save(let path):
            do {
                try saveCheckpoint(to: path ?? defaultCheckpointName)
            } catch {
                note("could not save: \(error)")
            }
        case .quit:
            quitRequested = true
        }
    }

    /// Whether the network has block `block` (counted from 0); if not, says so in the log.
    private func blockExists(_ block: Int) -> Bool {
        guard modes.indices.contains(block) else {
            note("there is no block \(block + 1): the network has \(modes.count)")
            return false
        }
        return true
    }

    /// Starts again from the initial weights (the checkpoint's, if one was
    /// loaded), with nothing left over from the steps before.
    private func reset() {
        trainer.reset(seed: configuration.seed)
        if let startingTensors {
            // These tensors loaded into this very network at init, so they load again.
            try? trainer.network.load(startingTensors.tensors)
        }
        sampler = BatchSampler(count: dataset.train.count, batchSize: configuration.resolvedBatchSize,
                               seed: configuration.seed &+ 1)
        step = 0
        state = .training
        // Nothing measured before the reset may reach the next snapshot.
        metrics.reset()
        evaluations.testLoss = nil
        evaluations.testAccuracy = nil
        let origin = startingTensors == nil ? "the initial weights" : "the loaded checkpoint"
        note("reset to \(origin), learning rate \(peakRate)")
        evaluateAndPublish()
    }

    /// Every skip off if any non-deleted block has one, else every skip on.
    /// Deleted blocks stay deleted. Where normalisation or ReLU keep the
    /// gradient alive, says so, and where to see it vanish.
    private func toggleAllSkips() {
        let live = modes.indices.filter { modes[$0] != .deleted }
        guard !live.isEmpty else { return }
        let target: BlockMode = live.contains { modes[$0] == .residual } ? .plain : .residual
        changeModes(describing: "every skip \(target == .plain ? "off" : "on")") { modes in
            for index in live { modes[index] = target }
        }
        if target == .plain, let reason = vanishingBlocker { note(reason) }
    }

    /// Why switching the skips off will not make the gradients vanish in
    /// this run, if something prevents it.
    private var vanishingBlocker: String? {
        var helpers: [String] = []
        if configuration.norm != .none { helpers.append("\(configuration.norm.rawValue) norm rescales every block") }
        if configuration.activation == .relu { helpers.append("ReLU passes gradients at slope 1") }
        guard !helpers.isEmpty else { return nil }
        var advice = helpers.joined(separator: " and ") + ", so the gradients will not vanish here"
        if scope == .eval { advice += " (and scope is eval only: press m to train with the skips off)" }
        return advice + "; to see vanishing, run `reslab --preset vanishing` (sigmoid, no norm)"
    }

    /// Changes the modes, evaluates at once and logs the accuracy change.
    private func changeModes(describing change: String, _ edit: (inout [BlockMode]) -> Void) {
        if evaluations.evaluatedAtStep != step { evaluateAndPublish() }
        let before = currentAccuracy
        edit(&modes)
        evaluateAndPublish()
        note("\(change) · val acc \(percent(before)) → \(percent(currentAccuracy))")
        publish()
    }

    /// The accuracy with the current modes.
    private var currentAccuracy: Float? { evaluations.currentAccuracy }

    // MARK: - Experiments

    private func start(_ kind: LiveExperiment.Kind) {
        guard state != .diverged else { return }
        guard experiment == nil else {
            queuedExperiments.append(kind)
            note("\(kind.rawValue) queued")
            return
        }
        stateBeforeExperiment = state
        state = .evaluating
        // The test split, whole, as `reslab lesion` and `reslab paths` use it.
        let lab = LesionLab(trainer: trainer, samples: dataset.test, baseModes: trainingModes, limit: configuration.sweepLimit,
                            batchSize: evaluationBatch)
        experiment = LiveExperiment(kind: kind, trainer: trainer, lab: lab, pathSamples: dataset.train)
        note("\(kind.rawValue) started; training paused")
    }

    /// One unit of the running experiment; publishes progress, and the result at the end.
    private func advance(_ running: LiveExperiment) {
        running.advance()
        guard running.isComplete else {
            if clock.now - lastPublish >= .milliseconds(100) { publish() }
            return
        }
        if let sweep = running.sweepResult {
            evaluations.lesionSweep = sweep
            let mean = sweep.accuracy.reduce(0, +) / Float(max(sweep.accuracy.count, 1))
            let worst = sweep.accuracy.indices.min { sweep.accuracy[$0] < sweep.accuracy[$1] } ?? 0
            var summary = "lesion sweep: intact \(percent(sweep.intact)), mean with one block deleted \(percent(mean)), worst block \(worst + 1) \(percent(sweep.accuracy.isEmpty ? nil : sweep.accuracy[worst]))"
            if let downsampling = sweep.groupMeans.downsampling {
                summary += "; ordinary blocks \(percent(sweep.groupMeans.ordinary)), downsampling blocks \(percent(downsampling))"
            }
            note(summary)
        }
        if let curve = running.kCurveResult {
            evaluations.kDeletions = curve
            note("k-deletion curve: " + curve.map { "k=\($0.k) \(percent($0.mean))" }.joined(separator: ", "))
        }
        if let paths = running.pathResult {
            evaluations.paths = paths
            note("paths: 90 % of the gradient from lengths \(paths.effectiveRange[0])–\(paths.effectiveRange[1]) of \(paths.blocks)")
        }
        endExperiment()
    }

    private func endExperiment() {
        experiment = nil
        state = stateBeforeExperiment
        if !queuedExperiments.isEmpty {
            start(queuedExperiments.removeFirst())
        }
        publish()
    }

    /// `reslab-<dataset>-step<N>.safetensors` (`…-plain.safetensors` for a
    /// plain twin), named for the step at which it is written.
    private var defaultCheckpointName: String {
        let name = "reslab-\(configuration.dataset.rawValue)-step\(step).safetensors"
        return identity.run == "plain" ? Checkpoint.twinPath(name) : name
    }

    /// The experiments' results, as checkpoint metadata.
    private var experimentMetadata: [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T?) -> String? {
            value.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        }
        var metadata: [String: String] = [:]
        metadata["reslab.lesion_sweep"] = json(evaluations.lesionSweep)
        metadata["reslab.k_deletions"] = json(evaluations.kDeletions)
        metadata["reslab.paths"] = json(evaluations.paths)
        return metadata
    }

    /// The network, its configuration, the block modes and the step: what a
    /// checkpoint holds, without a file.
    public var checkpoint: CheckpointContents {
        CheckpointContents(configuration: configuration, spec: trainer.network.spec, modes: modes, step: step,
                           tensors: trainer.network.storedTensors, extras: experimentMetadata)
    }

    /// Writes `checkpoint` to a safetensors file (atomically) and logs it.
    /// Returns the log line when no snapshot will carry it any more (the
    /// engine has finished publishing), for the caller to announce.
    @discardableResult
    public func saveCheckpoint(to path: String) throws -> String? {
        try Checkpoint.save(checkpoint, to: URL(fileURLWithPath: path))
        let message = "saved checkpoint \(path) at step \(step)"
        if publishingEnded { return message }
        note(message)
        // A screen shows it at once; a headless log prints it with the next line.
        if isLive { publish() }
        return nil
    }

    // MARK: - Publishing

    private func note(_ message: String) {
        log.note(message, at: (clock.now - start).seconds)
    }

    /// Sends out a snapshot of the run as it is now: its identity, the step,
    /// the training means since the last one (since the last evaluation, at
    /// an evaluation), the evaluations and the log.
    private func publish(atEvaluation: Bool = false) {
        var snapshot = identity
        snapshot.step = step
        snapshot.totalSteps = totalSteps
        snapshot.epoch = Double(step) / Double(max(sampler.batchesPerEpoch, 1))
        if let summary = metrics.takeSummary(atEvaluation: atEvaluation) {
            snapshot.trainLoss = summary.trainLoss
            snapshot.trainAccuracy = summary.trainAccuracy
            snapshot.gradientNorms = summary.gradientNorms
            snapshot.inputGradientNorms = summary.inputGradientNorms
            snapshot.samplesPerSecond = summary.samplesPerSecond
        }
        snapshot.branchRatios = metrics.branchRatios
        snapshot.learningRate = learningRate
        snapshot.threads = threadsInEffect
        snapshot.validationLoss = evaluations.validationLoss
        snapshot.validationAccuracy = evaluations.validationAccuracy
        snapshot.lesionedValidationAccuracy = evaluations.lesionedAccuracy
        snapshot.evaluatedAtStep = evaluations.evaluatedAtStep
        snapshot.testLoss = evaluations.testLoss
        snapshot.testAccuracy = evaluations.testAccuracy
        snapshot.decisionMap = evaluations.decisionMap
        snapshot.lesionSweep = evaluations.lesionSweep
        snapshot.kDeletions = evaluations.kDeletions
        snapshot.paths = evaluations.paths
        snapshot.experiment = experiment?.progress
        snapshot.blockModes = modes
        snapshot.scope = scope
        snapshot.state = state
        snapshot.elapsedSeconds = (clock.now - start).seconds
        snapshot.events = log.forSnapshot()
        continuation.yield(snapshot)
        lastPublish = clock.now
    }

    /// Evaluates on the test split and marks the run finished.
    private func finishTraining() {
        let test = trainer.evaluate(dataset.test, modes: trainingModes, batchSize: evaluationBatch)
        // An empty test split has no figures (not NaN).
        evaluations.testLoss = dataset.test.count > 0 && test.loss.isFinite ? test.loss : nil
        evaluations.testAccuracy = dataset.test.count > 0 ? test.accuracy : nil
        state = .finished
        note("finished at step \(step): test acc \(percent(test.accuracy))")
        publish(atEvaluation: true)
    }

    /// Publishes the last snapshot. A run that stops on its own, or a
    /// headless run told to quit, is evaluated on the test split first; a
    /// screen's quit is not kept waiting for that.
    private func finish() {
        let stoppedByScreen = quitRequested && isLive
        if state != .diverged && state != .finished && !stoppedByScreen {
            finishTraining()
        } else if state != .finished || log.hasUnpublished {
            publish()
        }
        continuation.finish()
        publishingEnded = true
    }
}

/// "93.6 %", or "–" when unknown.
func percent(_ value: Float?) -> String {
    guard let value else { return "–" }
    return String(format: "%.1f %%", 100 * value)
}

extension Duration {
    /// The duration in seconds, as a double.
    var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) * 1e-18
    }
}
