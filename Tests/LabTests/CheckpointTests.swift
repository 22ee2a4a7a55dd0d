import Foundation
import Lab
import Network
import Testing
import TestSupport

struct CheckpointTests {
    @Test func savedRunLoadsWithItsConfigurationModesAndWeights() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("run.safetensors").path
            let engine = try Engine(configuration: smallConfiguration(steps: 40))
            engine.send(.setMode(block: 2, mode: .deleted))
            _ = await collect(engine)
            try await engine.saveCheckpoint(to: file)

            let contents = try Checkpoint.load(URL(fileURLWithPath: file))
            #expect(contents.configuration == smallConfiguration(steps: 40))
            #expect(contents.modes == [.residual, .residual, .deleted, .residual])
            #expect(contents.step == 40)
            #expect(contents.tensors.contains { $0.name == "blocks.3.branch.norm1.running_var" })

            // A new engine from the checkpoint evaluates exactly as the old one ended.
            var resumed = contents.configuration
            resumed.steps = 1
            let first = try #require(await collect(try Engine(configuration: resumed, checkpoint: contents)).first)
            #expect(first.blockModes == contents.modes)
            #expect(first.validationAccuracy ?? 0 > 0.5)
        }
    }

    @Test func differentArchitectureIsRefusedWithTheDifference() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("run.safetensors").path
            let engine = try Engine(configuration: smallConfiguration(steps: 5))
            _ = await collect(engine)
            try await engine.saveCheckpoint(to: file)
            let contents = try Checkpoint.load(URL(fileURLWithPath: file))
            var wider = contents.configuration
            wider.width = 32
            do {
                _ = try Engine(configuration: wider, checkpoint: contents)
                Issue.record("a wider network accepted the checkpoint")
            } catch {
                #expect("\(error)" == "the checkpoint holds a different network: width: checkpoint 16, requested 32")
            }
        }
    }

    @Test func fileWithoutReslabMetadataIsRefused() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("foreign.safetensors")
            try SafeTensors.write([StoredTensor(name: "w", shape: [1], values: [1])], metadata: [:], to: url)
            #expect(throws: CheckpointError.self) { try Checkpoint.load(url) }
        }
    }
}
