import Foundation
import Lab
import RunProtocol
import TestSupport
import Testing

/// Trains a small spirals network, residual or plain, and returns it.
func trainedTrainer(skip: Bool) async throws -> (Trainer, RunConfiguration) {
    var c = smallConfiguration(steps: 600, seed: 5)
    c.depth = 6
    c.samples = 1200
    c.skip = skip
    let engine = try Engine(configuration: c)
    _ = await collect(engine)
    let trainer = try await withTemporaryDirectory { directory in
        let file = directory.appendingPathComponent("trained.safetensors").path
        try await engine.saveCheckpoint(to: file)
        return try LoadedNetwork(checkpoint: try Checkpoint.load(URL(fileURLWithPath: file)), threads: 1).trainer
    }
    return (trainer, c)
}

struct LesionTests {
    @Test func residualNetworksSurviveLesionsThatBreakTheirPlainTwins() async throws {
        let (residual, configuration) = try await trainedTrainer(skip: true)
        let (plain, _) = try await trainedTrainer(skip: false)
        let data = try configuration.loadDataset()
        // Both twins learned the task …
        let intactResidual = residual.evaluate(data.test, modes: Array(repeating: .residual, count: 6)).accuracy
        let intactPlain = plain.evaluate(data.test, modes: Array(repeating: .plain, count: 6)).accuracy
        #expect(intactResidual > 0.9 && intactPlain > 0.9)
        // … but removing one block costs the plain net far more.
        let residualDrop = (0..<6).map { block -> Float in
            var modes = [BlockMode](repeating: .residual, count: 6)
            modes[block] = .deleted
            return intactResidual - residual.evaluate(data.test, modes: modes).accuracy
        }.reduce(0, +) / 6
        let plainDrop = (0..<6).map { block -> Float in
            var modes = [BlockMode](repeating: .plain, count: 6)
            modes[block] = .deleted
            return intactPlain - plain.evaluate(data.test, modes: modes).accuracy
        }.reduce(0, +) / 6
        #expect(residualDrop < plainDrop, "residual drop \(residualDrop), plain drop \(plainDrop)")
    }

    @Test func plainTwinsAreLesionedFromTheirOwnModes() async throws {
        let (plain, configuration) = try await trainedTrainer(skip: false)
        let data = try configuration.loadDataset()
        let lab = LesionLab(trainer: plain, samples: data.test, baseModes: Array(repeating: .plain, count: 6))
        let sweep = lab.single()
        #expect(sweep.intact > 0.9)
        #expect(sweep.accuracy.allSatisfy { $0 < sweep.intact })
    }

    @Test func deletingMoreBlocksCostsMoreAccuracy() async throws {
        let (trainer, configuration) = try await trainedTrainer(skip: true)
        let lab = LesionLab(trainer: trainer, samples: try configuration.loadDataset().test)
        let means = lab.kDeletions([0, 1, 2, 3, 4, 5, 6], repeats: 12, seed: 3).map(\.mean)
        #expect(means[0] > 0.9)
        // Monotone within noise: no step up by more than five points (12 subsets
        // of a 120-sample test set; near chance the means wander by a few points).
        for (a, b) in zip(means, means.dropFirst()) { #expect(b <= a + 0.05, "\(means)") }
        #expect(means[6] < means[0] - 0.2)
    }

    @Test func pathGradientsFallWithLengthAndFollowTheBinomial() async throws {
        let (trainer, configuration) = try await trainedTrainer(skip: true)
        let result = trainer.pathGradients(batch: try configuration.loadDataset().train, batchSize: 64, repeats: 8, seed: 2)
        #expect(result.blocks == 6)
        #expect(abs(result.distribution.reduce(0, +) - 1) < 1e-9)
        #expect(abs(result.distribution[3] - 20.0 / 64) < 1e-9)
        #expect(abs(result.totalGradient.reduce(0, +) - 1) < 1e-9)
        #expect(result.gradientPerPath[6] < result.gradientPerPath[0])
        #expect(result.effectiveRange[0] <= result.effectiveRange[1])
    }

    @Test func kendallTauOfTheIdentityAndTheReversal() {
        #expect(kendallTau([0, 1, 2, 3]) == 1)
        #expect(kendallTau([3, 2, 1, 0]) == -1)
        #expect(kendallTau([1, 0, 2, 3]) == Float(4) / 6)
    }
}
