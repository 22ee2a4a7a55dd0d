import Datasets
import Foundation
import Lab
import Network
import RunProtocol
import Testing
import TestSupport

/// Seeded mutation fuzzing of every parser of hostile input, in process:
/// checkpoints (safetensors and their metadata), IDX and gzip, CIFAR
/// batches, run options, and protocol lines. (Themes: `ThemeTests`.) Each
/// mutated input must parse or be refused with the parser's own error; see
/// `Fuzzer` for the mutations and `RESLAB_FUZZ_CASES` for longer runs.
@Suite(.serialized)
struct FuzzTests {
    /// A refusal by the run's own validation (`problems`), as the command line gives it.
    struct Refused: Error {}

    static let file = URL(fileURLWithPath: "/fuzz/input")

    /// A small network's checkpoint: its bytes and its parsed parts.
    static func checkpointSeed() async throws -> (bytes: [UInt8], tensors: [StoredTensor], metadata: [String: String]) {
        try await withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("seed.safetensors")
            var configuration = smallConfiguration(steps: 1)
            (configuration.depth, configuration.width) = (2, 4)
            try await Engine(configuration: configuration).saveCheckpoint(to: url.path)
            let (tensors, metadata) = try SafeTensors.read(url)
            return ([UInt8](try Data(contentsOf: url)), tensors, metadata)
        }
    }

    @Test func safetensorsFiles() async throws {
        let seed = try await Self.checkpointSeed().bytes
        let outcome = Fuzzer.run(seed: 1, seeds: [seed], isTyped: { $0 is CheckpointError }) { input in
            _ = try SafeTensors.decode(Data(input))
        }
        #expect(outcome.accepted > 0 && outcome.refused > 0)
    }

    /// The metadata, validated as `lesion --load` and `train --load` do
    /// before any data is read or network built.
    @Test func checkpointMetadata() async throws {
        let (_, tensors, metadata) = try await Self.checkpointSeed()
        let seed = [UInt8](try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys]))
        let outcome = Fuzzer.run(seed: 2, seeds: [seed], isTyped: { $0 is CheckpointError || $0 is Refused }) { input in
            guard let mutated = try? JSONSerialization.jsonObject(with: Data(input)) as? [String: String] else { throw Refused() }
            let contents = try Checkpoint.contents(tensors: tensors, metadata: mutated, source: "fuzz")
            let configuration = contents.configuration
            guard configuration.problems.isEmpty else { throw Refused() }
            let requested = configuration.modelSpec(sampleShape: configuration.dataset.sampleShape, classes: contents.spec.classes)
            guard Checkpoint.differences(stored: contents.spec, requested: requested).isEmpty else { throw Refused() }
        }
        #expect(outcome.accepted > 0 && outcome.refused > 0)
    }

    /// Runs `gzip` on `bytes`, as the Debian dataset files come.
    static func gzipped(_ bytes: [UInt8]) throws -> [UInt8] {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("data")
            try Data(bytes).write(to: url)
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gzip.arguments = ["-n", url.path]
            try gzip.run()
            gzip.waitUntilExit()
            return [UInt8](try Data(contentsOf: url.appendingPathExtension("gz")))
        }
    }

    @Test func idxAndGzipFiles() throws {
        let images: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28] + (0..<3 * 784).map { UInt8($0 % 251) }
        let outcome = Fuzzer.run(seed: 3, seeds: [images, try Self.gzipped(images)], isTyped: { $0 is DataError }) { input in
            let file = try IDXFile.decode(input, file: Self.file, rank: 3)
            #expect(file.bytes.count == file.dimensions.reduce(1, *))
        }
        #expect(outcome.accepted > 0 && outcome.refused > 0)
    }

    @Test func cifarBatches() throws {
        let record: [UInt8] = [7] + (0..<3072).map { UInt8(truncatingIfNeeded: $0) }
        let records = record + record
        let outcome = Fuzzer.run(seed: 4, seeds: [records, try Self.gzipped(records)], isTyped: { $0 is DataError }) { input in
            let batch = try readCIFARBatch(try decompressIfNeeded(input, file: Self.file), file: Self.file)
            #expect(batch.pixels.count == batch.labels.count * 3072)
        }
        #expect(outcome.accepted > 0 && outcome.refused > 0)
    }

    /// Every option lands in a `RunConfiguration` field; mutated values
    /// (integer extremes among them) go through the options' validation.
    @Test func runOptions() throws {
        var conv = RunConfiguration()
        (conv.dataset, conv.model, conv.epochs, conv.twin) = (.fashionMNIST, .conv, 2, true)
        var planar = smallConfiguration()
        (planar.arms, planar.noise, planar.learningRate, planar.sweepLimit) = (5, 0.2, 0.05, 100)
        let encoder = JSONEncoder()
        let seeds = try [RunConfiguration(), conv, planar].map { [UInt8](try encoder.encode($0)) }
        let outcome = Fuzzer.run(seed: 5, seeds: seeds, isTyped: { $0 is DecodingError || $0 is Refused }) { input in
            let configuration = try JSONDecoder().decode(RunConfiguration.self, from: Data(input))
            guard configuration.problems.isEmpty else { throw Refused() }
        }
        #expect(outcome.accepted > 0 && outcome.refused > 0)
    }

    @Test func protocolCommandLines() throws {
        let commands: [Command] = [.pause, .setMode(block: 3, mode: .plain), .setAllModes(.deleted), .toggleSkip(block: 1),
                                   .scaleLearningRate(0.5), .setScope(.train), .save(path: "run.safetensors"), .quit]
        let seeds = try commands.map { [UInt8](try JSONEncoder().encode($0)) }
        let outcome = Fuzzer.run(seed: 6, seeds: seeds, isTyped: { $0 is WireError }) { input in
            _ = try WireError.command(Data(input))
        }
        #expect(outcome.accepted > 0 && outcome.refused > 0)
    }

    @Test func protocolEngineLines() async throws {
        let snapshot = try #require(await collect(try Engine(configuration: smallConfiguration(steps: 20))).last)
        let messages: [EngineMessage] = [.hello(Hello(engine: "fuzz", capabilities: Capability.allCases)), .snapshot(snapshot),
                                         .notice("saved"), .error("bad"), .ended(reason: nil)]
        let seeds = messages.map { [UInt8]($0.encoded()) }
        let outcome = Fuzzer.run(seed: 7, seeds: seeds, isTyped: { $0 is WireError }) { input in
            _ = try EngineMessage.decode(Data(input))
        }
        #expect(outcome.accepted > 0 && outcome.refused > 0)
    }
}
