import Kernels
import Lab
import Network
import RunProtocol
import Testing

/// A small, fast spirals run.
func smallConfiguration(steps: Int = 60, seed: UInt64 = 3) -> RunConfiguration {
    var c = RunConfiguration()
    c.depth = 4
    c.width = 16
    c.samples = 600
    c.batchSize = 64
    c.steps = steps
    c.evaluationInterval = 10
    c.seed = seed
    c.threads = 1
    return c
}

/// Runs an engine to the end and returns every snapshot it published. A
/// diverged engine waits for the user, so this quits it.
func collect(_ engine: Engine) async -> [Snapshot] {
    async let run: Void = engine.run()
    var all: [Snapshot] = []
    for await snapshot in engine.snapshots {
        all.append(snapshot)
        if snapshot.state == .diverged { engine.send(.quit) }
    }
    await run
    return all
}

struct EngineTests {
    @Test func trainingLearnsSpiralsWellAboveChance() async throws {
        var c = smallConfiguration(steps: 400)
        c.evaluationInterval = 100
        let snapshots = await collect(try Engine(configuration: c))
        let last = try #require(snapshots.last)
        #expect(last.state == .finished)
        #expect(last.step == 400)
        #expect(try #require(last.validationAccuracy) > 0.9)
        #expect(try #require(last.testAccuracy) > 0.85)
        #expect(try #require(snapshots.first?.validationAccuracy) < 0.6)
    }

    @Test func sameSeedGivesTheSameLossCurve() async throws {
        let a = await collect(try Engine(configuration: smallConfiguration()))
        let b = await collect(try Engine(configuration: smallConfiguration()))
        let c = await collect(try Engine(configuration: smallConfiguration(seed: 4)))
        #expect(a.map(\.trainLoss) == b.map(\.trainLoss))
        #expect(a.map(\.validationLoss) == b.map(\.validationLoss))
        #expect(a.map(\.trainLoss) != c.map(\.trainLoss))
        #expect(a.count == 8)
    }

    /// With two threads the convolutions share out the batch and the large
    /// element-wise passes split across the cores; runs must still repeat
    /// exactly.
    @Test func convolutionalRunsRepeatExactlyOnTwoThreads() async throws {
        var c = smallConfiguration(steps: 12)
        c.dataset = .shapes
        c.model = .conv
        c.depth = 1
        c.width = 8
        c.evaluationInterval = 6
        c.threads = 2
        let a = await collect(try Engine(configuration: c))
        let b = await collect(try Engine(configuration: c))
        #expect(a.count == 4)
        // The kernels ran on the two threads claimed (the engine reports the count in effect).
        #expect(a.allSatisfy { $0.threads == 2 } && b.allSatisfy { $0.threads == 2 })
        #expect(a.map(\.trainLoss) == b.map(\.trainLoss))
        #expect(a.map(\.validationLoss) == b.map(\.validationLoss))
    }

    /// With two threads a dense network's batch is shared out between two
    /// replicas: runs must repeat exactly, and follow the one-thread run up
    /// to rounding (the batch's sums are added in another order).
    @Test(.enabled(if: WorkerPool.shared.capacity >= 2))
    func denseRunsOnTwoThreadsRepeatExactlyAndFollowOneThread() async throws {
        var c = smallConfiguration(steps: 20)
        c.threads = 2
        let a = await collect(try Engine(configuration: c))
        let b = await collect(try Engine(configuration: c))
        let single = await collect(try Engine(configuration: smallConfiguration(steps: 20)))
        #expect(a.allSatisfy { $0.threads == 2 } && single.allSatisfy { $0.threads == 1 })
        #expect(a.count == single.count)
        #expect(a.map(\.trainLoss) == b.map(\.trainLoss))
        #expect(a.map(\.validationLoss) == b.map(\.validationLoss))
        for (shared, alone) in zip(a.compactMap(\.validationLoss), single.compactMap(\.validationLoss)) {
            #expect(abs(shared - alone) <= 1e-3 * alone)
        }
    }

    @Test func snapshotsCarryOneValuePerBlock() async throws {
        let snapshots = await collect(try Engine(configuration: smallConfiguration(steps: 20)))
        let last = try #require(snapshots.last)
        #expect(last.gradientNorms.count == 4)
        #expect(last.inputGradientNorms.count == 4)
        #expect(last.blockModes == Array(repeating: .residual, count: 4))
        #expect(last.gradientNorms.allSatisfy { $0 > 0 })
    }

    /// A screen's engine publishes after every step here, a headless one only
    /// at evaluations; their final snapshots still report the same means
    /// (over the last evaluation interval), so a twin run's verdict on screen
    /// is `reslab train`'s.
    @Test func finalMeansDoNotDependOnHowOftenTheEnginePublishes() async throws {
        let headless = try #require(await collect(try Engine(configuration: smallConfiguration(steps: 25))).last)
        // A screen's engine stays for lesions after training: quit it once it has finished.
        let live = try Engine(configuration: smallConfiguration(steps: 25), policy: .live(interval: .zero))
        async let run: Void = live.run()
        var screen = Snapshot(), published = 0
        for await snapshot in live.snapshots {
            screen = snapshot
            published += 1
            if snapshot.state == .finished { live.send(.quit) }
        }
        await run
        #expect(published > 4)
        #expect(screen.state == .finished && headless.state == .finished)
        #expect(screen.gradientNorms == headless.gradientNorms)
        #expect(screen.inputGradientNorms == headless.inputGradientNorms)
        #expect(screen.trainLoss == headless.trainLoss)
        #expect(screen.testAccuracy == headless.testAccuracy)
    }

    @Test func modeChangesApplyToEvaluationOnlyByDefault() async throws {
        let engine = try Engine(configuration: smallConfiguration(steps: 30))
        engine.send(.pause)
        engine.send(.setAllModes(.deleted))
        engine.send(.resume)
        let last = try #require(await collect(engine).last)
        #expect(last.blockModes == Array(repeating: .deleted, count: 4))
        #expect(last.scope == .eval)
        // Training went on with the intact network, so its gradients are alive …
        #expect(last.gradientNorms.allSatisfy { $0 > 0 })
        // … while the lesioned accuracy is reported beside the intact one.
        #expect(last.lesionedValidationAccuracy != nil)
        #expect(last.events.contains { $0.message.hasPrefix("all blocks deleted") })
    }

    @Test func trainingScopeTrainsTheLesionedNetwork() async throws {
        let engine = try Engine(configuration: smallConfiguration(steps: 30))
        engine.send(.setScope(.train))
        engine.send(.setMode(block: 1, mode: .deleted))
        let last = try #require(await collect(engine).last)
        #expect(last.scope == .train)
        #expect(last.gradientNorms[1] == 0)
        #expect(last.gradientNorms[0] > 0)
        #expect(last.lesionedValidationAccuracy == nil)
    }

    @Test func quitStopsTheRunEarly() async throws {
        let engine = try Engine(configuration: smallConfiguration(steps: 100_000))
        engine.send(.quit)
        let last = try #require(await collect(engine).last)
        #expect(last.step < 100)
        #expect(last.state == .finished)
    }

    /// A screen's quit returns at once: no test-set evaluation first, which
    /// on Fashion-MNIST would keep the user waiting for seconds.
    @Test func quitFromAScreenSkipsTheTestEvaluation() async throws {
        let engine = try Engine(configuration: smallConfiguration(steps: 100_000), policy: .live(interval: .milliseconds(20)))
        engine.send(.quit)
        let last = try #require(await collect(engine).last)
        #expect(last.step < 100)
        #expect(last.testAccuracy == nil)
        #expect(last.state != .finished)
    }

    /// Paused, the engine takes exactly the steps asked for: after two, and
    /// a fifth of a second more, it is still at step 2. (It waits for the
    /// steps it was asked for, not for the clock, so a busy machine cannot
    /// make this fail.)
    @Test func pausedEngineStepsOnlyOnRequest() async throws {
        let engine = try Engine(configuration: smallConfiguration(steps: 1000), policy: .live(interval: .seconds(60)))
        engine.send(.pause)
        engine.send(.step)
        engine.send(.step)
        async let run: Void = engine.run()
        var evaluated = false
        var last = Snapshot()
        for await snapshot in engine.snapshots {
            last = snapshot
            if evaluated {
                engine.send(.quit)
            } else if snapshot.step == 2 {
                evaluated = true
                try await Task.sleep(for: .milliseconds(200))
                engine.send(.evaluate)
            }
        }
        await run
        #expect(evaluated)
        #expect(last.step == 2)
        #expect(last.state == .paused)
    }

    @Test func divergingLearningRateIsReportedNotHidden() async throws {
        var c = smallConfiguration(steps: 200)
        c.norm = .none
        c.learningRate = 1e6
        c.schedule = .constant
        let last = try #require(await collect(try Engine(configuration: c)).last)
        #expect(last.state == .diverged)
        // Said in words, not as Swift prints a float ("-nan").
        #expect(last.events.contains { $0.message.contains("diverged at step")
            && ($0.message.contains("the loss is NaN") || $0.message.contains("the loss is infinite")) })
    }

    @Test func invalidConfigurationIsRefusedWithAReason() {
        var c = smallConfiguration()
        c.depth = 0
        #expect(throws: RunError.self) { try Engine(configuration: c) }
        #expect(c.problems == ["--depth must be at least 1 (got 0)"])
    }

    /// A dense batch norm over one sample normalises every value to 0, so
    /// that batch is refused; a convolution's batch norm still has a whole
    /// image per channel, and layer norm needs no batch.
    @Test func aBatchOfOneIsRefusedOnlyWhereBatchNormHasNothingToNormalise() {
        var c = smallConfiguration()
        c.batchSize = 1
        #expect(c.problems.count == 1 && c.problems[0].hasPrefix("--batch 1 leaves batch norm in a dense network nothing to normalise"))
        c.norm = .layer
        #expect(c.problems.isEmpty)
        c.norm = .batch
        c.model = .conv
        c.dataset = .shapes
        #expect(c.problems.isEmpty)
    }
}

@Suite(.timeLimit(.minutes(1)))
struct LiveExperimentTests {
    /// Runs a live engine until `done` says so, sending `commands` after the first snapshot.
    func run(_ commands: [Command], until done: @escaping (Snapshot) -> Bool) async throws -> Snapshot {
        let engine = try Engine(configuration: smallConfiguration(steps: 40), policy: .live(interval: .milliseconds(20)))
        async let run: Void = engine.run()
        var sent = false, last = Snapshot()
        for await snapshot in engine.snapshots {
            last = snapshot
            if !sent { commands.forEach(engine.send); sent = true }
            if done(snapshot) { engine.send(.quit) }
        }
        await run
        return last
    }

    /// A command for a block the network does not have, or a rate factor
    /// that is not positive (a caller inside the process can send one), is
    /// named in the log and changes nothing.
    @Test func impossibleCommandsAreLoggedAndIgnored() async throws {
        let last = try await run([.toggleDelete(block: 100), .scaleLearningRate(-1)]) { snapshot in
            snapshot.events.contains { $0.message.contains("positive factor") }
        }
        #expect(last.events.contains { $0.message == "there is no block 101: the network has 4" })
        #expect(last.events.contains { $0.message == "the learning rate takes a positive factor (got -1.0)" })
        #expect(last.blockModes.allSatisfy { $0 == .residual })
    }

    @Test func sweepCurveAndPathsArriveInSnapshots() async throws {
        let last = try await run([.lesionSweep, .kDeletionCurve, .pathReport]) {
            $0.lesionSweep != nil && $0.kDeletions != nil && $0.paths != nil
        }
        #expect(last.lesionSweep?.accuracy.count == 4)
        #expect(last.kDeletions?.map(\.k) == [0, 1, 2, 4])
        #expect(last.paths?.blocks == 4)
        #expect(last.experiment == nil)
        #expect(last.events.contains { $0.message.hasPrefix("lesion sweep: intact") })
    }

    @Test func cancelStopsTheExperimentAndTrainingResumes() async throws {
        let last = try await run([.pathReport, .cancelExperiment]) { $0.events.contains { $0.message == "path report cancelled" } }
        #expect(last.paths == nil)
        #expect(last.state != .evaluating)
    }
}
