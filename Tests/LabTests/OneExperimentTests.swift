import Foundation
import Lab
import RunProtocol
import Testing
import TestSupport

/// The live keys and the headless commands run one implementation of each
/// experiment: on the same network they give the same numbers.
struct OneExperimentTests {
    @Test func liveKeysAndHeadlessCommandsAgree() async throws {
        try await withTemporaryDirectory { directory in
            var c = smallConfiguration(steps: 150)
            c.depth = 6
            let engine = try Engine(configuration: c, policy: .live(interval: .milliseconds(5)))
            async let run: Void = engine.run()
            var sent = false
            var last = Snapshot()
            for await snapshot in engine.snapshots {
                last = snapshot
                if snapshot.state == .finished && !sent {
                    sent = true
                    for command in [Command.lesionSweep, .kDeletionCurve, .pathReport] { engine.send(command) }
                }
                if snapshot.lesionSweep != nil && snapshot.kDeletions != nil && snapshot.paths != nil && snapshot.experiment == nil {
                    engine.send(.quit)
                }
            }
            await run
            let file = directory.appendingPathComponent("net.safetensors")
            try await engine.saveCheckpoint(to: file.path)
            let loaded = try LoadedNetwork(checkpoint: try Checkpoint.load(file), threads: 1)
            let lab = LesionLab(trainer: loaded.trainer, samples: loaded.dataset.test, batchSize: max(loaded.configuration.resolvedBatchSize, 100))
            #expect(last.lesionSweep == lab.single(mode: .deleted))
            #expect(last.kDeletions == lab.kDeletions(ExperimentDefaults.ks(blocks: 6), repeats: ExperimentDefaults.repeats,
                                                      seed: ExperimentDefaults.seed))
            let paths = loaded.trainer.pathGradients(batch: loaded.dataset.train, batchSize: ExperimentDefaults.pathBatch,
                                                     repeats: ExperimentDefaults.pathRepeats, seed: ExperimentDefaults.seed)
            #expect(last.paths == paths)
            #expect(last.lesionSweep?.accuracy.count == 6)
        }
    }
}

/// Veit's distinction in conv nets: the blocks that halve the image are marked.
struct DownsamplingMarkTests {
    @Test func sweepsMarkTheProjectionBlocks() async throws {
        var c = smallConfiguration(steps: 1)
        c.dataset = .shapes
        c.samples = 300
        c.model = .conv
        c.depth = 2
        c.width = 4
        let loaded = try LoadedNetwork(checkpoint: await Engine(configuration: c).checkpoint, threads: 1)
        let sweep = LesionLab(trainer: loaded.trainer, samples: loaded.dataset.test, batchSize: 100).single(mode: .deleted)
        // Stages of 2 blocks: the first block of stages 2 and 3 has a stride-2 projection.
        #expect(sweep.downsampling == [false, false, true, false, true, false])
        #expect(sweep.groupMeans.downsampling == (sweep.accuracy[2] + sweep.accuracy[4]) / 2)
        let ordinary: [Float] = [sweep.accuracy[0], sweep.accuracy[1], sweep.accuracy[3], sweep.accuracy[5]]
        #expect(sweep.groupMeans.ordinary == ordinary.reduce(0, +) / 4)
        // A dense net has no downsampling block, and no marks.
        let dense = try LoadedNetwork(checkpoint: await Engine(configuration: smallConfiguration(steps: 1)).checkpoint, threads: 1)
        #expect(LesionLab(trainer: dense.trainer, samples: dense.dataset.test).single().downsampling == nil)
    }
}
