import Foundation
import Network
import Testing
import TestSupport

struct SafeTensorsTests {
    static let tensors = [
        StoredTensor(name: "a.weight", shape: [2, 3], values: [1, -2, 3.5, .pi, -0.0, 1e-30]),
        StoredTensor(name: "b.bias", shape: [3], values: [.greatestFiniteMagnitude, -7, 0.1]),
    ]

    /// A file with the given header text and data bytes.
    func file(header: String, data: [UInt8]) -> Data {
        let json = Array(header.utf8)
        var bytes = (0..<8).map { UInt8(truncatingIfNeeded: json.count >> (8 * $0)) }
        bytes += json + data
        return Data(bytes)
    }

    func message(_ data: Data) -> String {
        do {
            _ = try SafeTensors.decode(data)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func roundTripIsBitExact() throws {
        let data = try SafeTensors.encode(Self.tensors, metadata: ["step": "12"])
        let (tensors, metadata) = try SafeTensors.decode(data)
        #expect(metadata["step"] == "12")
        #expect(tensors.map(\.name) == ["a.weight", "b.bias"])
        for (read, written) in zip(tensors, Self.tensors) {
            #expect(read.shape == written.shape)
            #expect(read.values.map(\.bitPattern) == written.values.map(\.bitPattern))
        }
    }

    @Test func layoutIsTheSafetensorsOne() throws {
        let data = [UInt8](try SafeTensors.encode(Self.tensors, metadata: [:]))
        let length = data[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect(length % 8 == 0)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(data[8..<8 + length])) as? [String: Any])
        let entry = try #require(header["a.weight"] as? [String: Any])
        #expect(entry["dtype"] as? String == "F32")
        #expect(entry["data_offsets"] as? [Int] == [0, 24])
        // 1.0 as little-endian float32 is 00 00 80 3F.
        #expect(Array(data[8 + length..<8 + length + 4]) == [0, 0, 0x80, 0x3F])
    }

    @Test func truncatedFileIsRefused() throws {
        let data = try SafeTensors.encode(Self.tensors, metadata: [:])
        #expect(message(data.prefix(5)).contains("too short for the 8-byte header length"))
        #expect(message(data.prefix(20)).contains("truncated: the header needs"))
        #expect(message(data.dropLast(4)).contains("outside the"))
    }

    @Test func garbledHeaderIsRefused() {
        #expect(message(file(header: "{\"a\": [1, 2", data: [])).contains("not a well-formed JSON object"))
    }

    @Test func oversizedHeaderIsRefused() {
        var bytes = [UInt8](repeating: 0xFF, count: 8)
        bytes += [0x7B, 0x7D]
        #expect(message(Data(bytes)).contains("larger than the"))
    }

    @Test func overlappingOffsetsAreRefused() {
        let header = #"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(message(file(header: header, data: [UInt8](repeating: 0, count: 12))).contains("tensors x and y overlap"))
    }

    @Test func otherDtypesAreRefused() {
        let header = #"{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#
        #expect(message(file(header: header, data: [0, 0, 0, 0])).contains("dtype F16"))
    }

    @Test func shapeThatDisagreesWithTheBytesIsRefused() {
        let header = #"{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        #expect(message(file(header: header, data: [UInt8](repeating: 0, count: 8))).contains("shape [3] needs 12"))
    }

    @Test func atomicWriteLeavesNoTemporaryFile() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("model.safetensors")
            try SafeTensors.write(Self.tensors, metadata: [:], to: url)
            try SafeTensors.write(Self.tensors, metadata: ["again": "yes"], to: url)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
            #expect(try SafeTensors.read(url).metadata["again"] == "yes")
        }
    }

    @Test func networkLoadChecksNamesAndShapes() throws {
        let spec = ModelSpec(kind: .dense, inputShape: [2], classes: 3, depth: 2, width: 4)
        let source = ResNet(spec: spec, seed: 1), target = ResNet(spec: spec, seed: 2)
        try target.load(source.storedTensors)
        #expect(target.storedTensors == source.storedTensors)
        let wider = ResNet(spec: ModelSpec(kind: .dense, inputShape: [2], classes: 3, depth: 2, width: 8), seed: 3)
        #expect(throws: CheckpointError.self) { try wider.load(source.storedTensors) }
        do {
            try wider.load(source.storedTensors)
        } catch {
            #expect("\(error)".contains("stem.linear.weight is [4, 2] in the checkpoint but [8, 2] in this network"))
        }
    }
}
