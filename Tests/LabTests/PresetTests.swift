import Foundation
import Lab
import RunProtocol
import TestSupport
import Testing

struct PresetTests {
    /// The vanishing lesson's claim, checked the way a script would: within
    /// the first 200 steps the plain twin's first-block gradient is at least
    /// 100× below its last block's, while the residual net keeps every block
    /// within 10× of the others.
    @Test func vanishingLessonShowsVanishingGradientsOnlyWithoutSkips() async throws {
        var configuration = try #require(Preset.vanishing.configurations().first)
        configuration.steps = 200
        configuration.evaluationInterval = 100
        let twins = try TwinRun(configuration: configuration, policy: .everyEvaluation)
        let plain = try #require(await collect(twins.plain).last?.gradientNorms)
        let residual = try #require(await collect(twins.residual).last?.gradientNorms)
        #expect(plain[0] * 100 <= plain[plain.count - 1], "plain first/last \(plain[0] / plain[plain.count - 1])")
        #expect(residual.max()! <= 10 * residual.min()!, "residual spread \(residual.max()! / residual.min()!)")
    }

    @Test func twinsStartFromTheSameWeightsAndDifferOnlyInSkips() async throws {
        var configuration = smallConfiguration(steps: 10)
        configuration.twin = true
        let twins = try TwinRun(configuration: configuration, policy: .everyEvaluation)
        try await withTemporaryDirectory { directory in
            let files = ["twin-r", "twin-p"].map { directory.appendingPathComponent("\($0).safetensors").path }
            try await twins.residual.saveCheckpoint(to: files[0])
            try await twins.plain.saveCheckpoint(to: files[1])
            let weights = try files.map { try Checkpoint.load(URL(fileURLWithPath: $0)).tensors }
            #expect(weights[0] == weights[1])
        }
        let residual = try #require(await collect(twins.residual).last)
        let plain = try #require(await collect(twins.plain).last)
        #expect(residual.run == "residual" && plain.run == "plain")
        #expect(residual.blockModes.allSatisfy { $0 == .residual })
        #expect(plain.blockModes.allSatisfy { $0 == .plain })
        #expect(plain.scope == .train)
        #expect(residual.trainLoss != plain.trainLoss)
    }

    @Test func everyPresetHasALessonAndValidConfigurations() {
        for preset in Preset.allCases {
            #expect(preset.lesson.count > 60)
            for configuration in preset.configurations() { #expect(configuration.problems.isEmpty) }
        }
        #expect(Preset.degradation.configurations().map(\.resolvedDepth) == [8, 32])
    }
}
