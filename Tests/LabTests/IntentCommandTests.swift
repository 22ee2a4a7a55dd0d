import Foundation
import Lab
import Network
import Testing
import TestSupport

/// Commands say what the user meant; the engine, which owns the state, decides.
struct IntentCommandTests {
    /// Sent twice before a step, a toggle goes there and back: the engine
    /// reads the mode it owns, not one a screen saw earlier.
    @Test func togglesAreResolvedByTheEngine() async throws {
        let engine = try Engine(configuration: smallConfiguration(steps: 20))
        engine.send(.toggleSkip(block: 1))
        engine.send(.toggleSkip(block: 1))
        engine.send(.toggleDelete(block: 2))
        engine.send(.toggleScope)
        let last = try #require(await collect(engine).last)
        #expect(last.blockModes == [.residual, .residual, .deleted, .residual])
        #expect(last.scope == .train)
        #expect(last.events.contains { $0.message.hasPrefix("block 2 plain") })
        #expect(last.events.contains { $0.message.hasPrefix("block 2 residual") })
    }

    /// `a` switches skips, and only skips: a deleted block stays deleted.
    /// On a batch-norm ReLU run it says why nothing will vanish, and where to look.
    @Test func allSkipsLeavesDeletedBlocksAndExplainsWhatNormalisationDoes() async throws {
        let engine = try Engine(configuration: smallConfiguration(steps: 20))
        engine.send(.toggleDelete(block: 0))
        engine.send(.toggleAllSkips)
        let off = try #require(await collect(engine).last)
        #expect(off.blockModes == [.deleted, .plain, .plain, .plain])
        #expect(off.events.contains { $0.message.contains("will not vanish") && $0.message.contains("--preset vanishing") })
        let again = try Engine(configuration: smallConfiguration(steps: 20))
        again.send(.toggleAllSkips)
        again.send(.toggleDelete(block: 3))
        again.send(.toggleAllSkips)
        let on = try #require(await collect(again).last)
        #expect(on.blockModes == [.residual, .residual, .residual, .deleted])
    }

    /// After `R` the curves start afresh: no figure measured before the
    /// reset reaches a snapshot after it.
    @Test func resetForgetsTheFiguresOfTheStepsBefore() async throws {
        var c = smallConfiguration(steps: 100_000)
        c.evaluationInterval = 1000
        let engine = try Engine(configuration: c, policy: .live(interval: .milliseconds(1)))
        async let run: Void = engine.run()
        var sawReset = false
        for await snapshot in engine.snapshots {
            if !sawReset && snapshot.step >= 30 {
                engine.send(.pause)
                engine.send(.reset)
                sawReset = true
            } else if sawReset && snapshot.step == 0 {
                #expect(snapshot.trainLoss == nil && snapshot.gradientNorms.isEmpty)
                engine.send(.quit)
            }
        }
        await run
        #expect(sawReset)
    }

    /// `R` after `--load` returns to the checkpoint's weights, not to random ones.
    @Test func resetReturnsToTheLoadedCheckpoint() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("trained.safetensors")
            let trainer = try Engine(configuration: smallConfiguration(steps: 200))
            _ = await collect(trainer)
            try await trainer.saveCheckpoint(to: file.path)
            let checkpoint = try Checkpoint.load(file)
            var c = checkpoint.configuration
            c.steps = 5
            let fresh = try #require(await collect(try Engine(configuration: c)).first?.validationAccuracy)
            let loaded = try Engine(configuration: c, checkpoint: checkpoint)
            loaded.send(.reset)
            let snapshots = await collect(loaded)
            let afterReset = try #require(snapshots.first { $0.events.contains { $0.message.hasPrefix("reset to the loaded checkpoint") } })
            #expect(try #require(afterReset.validationAccuracy) > 0.9)
            #expect(fresh < 0.7)
        }
    }

    /// A checkpoint saved without a path is named for the step at which it
    /// is written (in the current directory; the test removes it).
    @Test func savingWithoutAPathNamesTheStepItIsWrittenAt() async throws {
        let engine = try Engine(configuration: smallConfiguration(steps: 100_000), policy: .live(interval: .milliseconds(1)))
        async let run: Void = engine.run()
        var message: String?
        for await snapshot in engine.snapshots {
            if snapshot.step >= 7 && snapshot.state == .training { engine.send(.pause) }
            if snapshot.state == .paused && message == nil {
                engine.send(.save(path: nil))
                message = ""
            }
            if let saved = snapshot.events.last(where: { $0.message.hasPrefix("saved checkpoint") }) {
                message = saved.message
                engine.send(.quit)
            }
        }
        await run
        let match = try #require(message?.firstMatch(of: /saved checkpoint (reslab-spirals-step(\d+)\.safetensors) at step (\d+)/))
        try? FileManager.default.removeItem(atPath: String(match.output.1))
        #expect(match.output.2 == match.output.3)
    }
}
