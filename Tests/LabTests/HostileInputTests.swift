import Datasets
import Foundation
import Lab
import Network
import RunProtocol
import Testing
import TestSupport

/// The crash inputs of the hardening audit, kept as regression tests: each
/// gives one clear error, never a trap.
struct HostileInputTests {
    /// A safetensors file whose tensor claims 2^62 elements.
    @Test func overflowingShapeIsRefused() {
        let header = #"{"w":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,4]}}"#
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init)
        bytes += Array(header.utf8) + [0, 0, 0, 0]
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(Data(bytes)) }
    }

    /// Tensors must cover the data section exactly: a trailing byte or a hole is refused.
    @Test func dataSectionMustBeCoveredExactly() throws {
        func file(_ header: String, data: Int) -> Data {
            Data(withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init) + Array(header.utf8)
                 + [UInt8](repeating: 0, count: data))
        }
        let exact = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        #expect(try SafeTensors.decode(file(exact, data: 4)).tensors.count == 1)
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(file(exact, data: 5)) }
        let hole = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(file(hole, data: 8)) }
    }

    /// An IDX header of 0xFFFFFFFF × 0xFFFFFFFF × 28 images.
    @Test func overflowingIDXDimensionsAreRefused() {
        let header: [UInt8] = [0, 0, 8, 3, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 28]
        #expect(throws: DataError.self) {
            try IDXFile(header + [1, 2, 3], file: URL(fileURLWithPath: "/tmp/images"), rank: 3)
        }
    }

    /// A gzip IDX file inflates no further than its header declares: a
    /// bomb of zeros behind a header of 10 images stops after 10 images.
    @Test func inflationStopsAtWhatTheHeaderDeclares() throws {
        let header: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28]
        let bomb = try FuzzTests.gzipped(header + [UInt8](repeating: 0, count: 8 << 20))
        do {
            _ = try IDXFile.decode(bomb, file: URL(fileURLWithPath: "/tmp/bomb.gz"), rank: 3)
            Issue.record("the bomb was accepted")
        } catch let error as DataError {
            #expect(error.description.contains("inflates to more than the 7856 bytes its header declares"))
        }
        let exact = try FuzzTests.gzipped(header + [UInt8](repeating: 7, count: 7840))
        #expect(try IDXFile.decode(exact, file: URL(fileURLWithPath: "/tmp/exact.gz"), rank: 3).bytes.count == 7840)
    }

    /// Training images in 0 records: one line, not a precondition in the sampler.
    @Test func anEmptyTrainingSetIsRefused() throws {
        try withTemporaryDirectory { directory in
            func idx(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
            try idx("train-images-idx3-ubyte", [0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28])
            try idx("train-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 0])
            try idx("t10k-images-idx3-ubyte", [0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28] + [UInt8](repeating: 9, count: 784))
            try idx("t10k-labels-idx1-ubyte", [0, 0, 8, 1, 0, 0, 0, 1, 3])
            var c = RunConfiguration()
            (c.dataset, c.dataPath) = (.fashionMNIST, directory.path)
            #expect(throws: RunError.self) { try Engine(configuration: c) }
        }
    }

    /// Huge option values are refused before anything multiplies them.
    @Test func hugeOptionValuesAreRefused() {
        var c = RunConfiguration()
        c.epochs = Int.max
        c.samples = Int.max
        c.arms = Int(Int32.max)
        #expect(c.problems.contains { $0.hasPrefix("--epochs") })
        #expect(c.problems.contains { $0.hasPrefix("--samples") })
        #expect(c.problems.contains { $0.hasPrefix("--arms") })
        #expect(throws: RunError.self) { try Engine(configuration: c) }
    }

    /// The weights count: a network whose weights alone pass the machine's
    /// memory is refused before anything is allocated, even at batch 1.
    @Test func networksTooLargeForMemoryAreRefused() {
        var c = RunConfiguration()
        (c.depth, c.width, c.batchSize, c.norm) = (1000, 4096, 1, .none)
        #expect(c.problems.contains { $0.contains("needs about") && $0.contains("GB") })
        (c.depth, c.width) = (20, 32)
        #expect(c.problems.isEmpty)
    }

    /// The sizes are checked against each dataset's sample shape before its
    /// data is read; the readers must agree with that shape.
    @Test(arguments: [DatasetName.spirals, .shapes, .fashionMNIST])
    func datasetsHaveTheShapeCheckedBeforeReading(name: DatasetName) throws {
        var c = RunConfiguration()
        (c.dataset, c.samples) = (name, 100)
        #expect(try c.loadDataset().sampleShape == name.sampleShape)
    }

    /// The parameter count the memory check uses is the network's own.
    @Test(arguments: [ModelKind.dense, .conv])
    func parameterCountMatchesTheBuiltNetwork(kind: ModelKind) {
        let spec = ModelSpec(kind: kind, inputShape: kind == .dense ? [2] : [1, 28, 28], classes: 10, depth: 2, width: 8)
        let network = ResNet(spec: spec, seed: 1)
        #expect(spec.parameterCount == network.parameters.reduce(0) { $0 + $1.parameter.value.count })
    }

    /// A checkpoint whose metadata lies (width 0, one class, more classes than
    /// its dataset has) is refused by the experiments as by `train --load`.
    @Test(arguments: [(#""width":16"#, #""width":0"#), (#""classes":3"#, #""classes":1"#), (#""classes":3"#, #""classes":5"#)])
    func lyingMetadataIsRefused(original: String, lie: String) async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("net.safetensors")
            let engine = try Engine(configuration: smallConfiguration(steps: 1))
            try await engine.saveCheckpoint(to: file.path)
            var (tensors, metadata) = try SafeTensors.read(file)
            let model = try #require(metadata["reslab.model"])
            #expect(model.contains(original))
            metadata["reslab.model"] = model.replacingOccurrences(of: original, with: lie)
            try SafeTensors.write(tensors, metadata: metadata, to: file)
            tensors = []
            do {
                _ = try LoadedNetwork(checkpoint: try Checkpoint.load(file), threads: 1)
                Issue.record("accepted \(lie)")
            } catch let error as RunError {
                #expect(error.description.contains("checkpoint"))
            } catch let error as CheckpointError {
                #expect(!error.description.isEmpty)
            }
        }
    }
}
