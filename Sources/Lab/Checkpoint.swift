import Foundation
import Network
import RunProtocol

/// A checkpoint read back: the weights and everything needed to rebuild the
/// run they came from.
public struct CheckpointContents: Sendable {
    public let configuration: RunConfiguration
    public let spec: ModelSpec
    public let modes: [BlockMode]
    public let step: Int
    public let tensors: [StoredTensor]
    /// Further string entries of `__metadata__` (for example lesion results).
    public let extras: [String: String]
}

/// Checkpoints as safetensors files, with the run configuration, the model
/// specification, the block modes and the step in `__metadata__`.
public enum Checkpoint {
    static let configurationKey = "reslab.configuration"
    static let specKey = "reslab.model"
    static let modesKey = "reslab.block_modes"
    static let stepKey = "reslab.step"

    /// Where the plain twin's checkpoint goes beside `path`:
    /// `model.safetensors` → `model-plain.safetensors`.
    public static func twinPath(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().lastPathComponent
        let suffix = url.pathExtension.isEmpty ? "" : ".\(url.pathExtension)"
        return url.deletingLastPathComponent().appendingPathComponent("\(stem)-plain\(suffix)").path
    }

    /// Writes `contents` to `url`, atomically.
    public static func save(_ contents: CheckpointContents, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var metadata = contents.extras
        metadata["format"] = "pt"
        metadata[configurationKey] = try json(contents.configuration)
        metadata[specKey] = try json(contents.spec)
        metadata[modesKey] = try json(contents.modes)
        metadata[stepKey] = String(contents.step)
        try SafeTensors.write(contents.tensors, metadata: metadata, to: url)
    }

    /// Reads and validates a checkpoint written by `save`.
    public static func load(_ url: URL) throws -> CheckpointContents {
        let (tensors, metadata) = try SafeTensors.read(url)
        return try contents(tensors: tensors, metadata: metadata, source: url.path)
    }

    /// Validates the `__metadata__` of a checkpoint read from `source`: the
    /// configuration, the model and the block modes, which must each decode,
    /// agree with one another and ask for nothing this lab refuses to build.
    public static func contents(tensors: [StoredTensor], metadata: [String: String],
                                source: String) throws -> CheckpointContents {
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ key: String) throws -> T {
            guard let text = metadata[key] else {
                throw CheckpointError("\(source): no \(key) in __metadata__; was it written by reslab?")
            }
            do {
                return try decoder.decode(type, from: Data(text.utf8))
            } catch {
                throw CheckpointError("\(source): \(key) in __metadata__ is not valid")
            }
        }
        let spec = try decode(ModelSpec.self, specKey)
        let modes = try decode([BlockMode].self, modesKey)
        if let problem = spec.problem { throw CheckpointError("\(source): the network in __metadata__: \(problem)") }
        guard modes.count == spec.blockCount else {
            throw CheckpointError("\(source): \(modes.count) block modes for a network of \(spec.blockCount) blocks")
        }
        let known: Set = ["format", configurationKey, specKey, modesKey, stepKey]
        return CheckpointContents(configuration: try decode(RunConfiguration.self, configurationKey), spec: spec,
                                  modes: modes, step: Int(metadata[stepKey] ?? "") ?? 0, tensors: tensors,
                                  extras: metadata.filter { !known.contains($0.key) })
    }

    /// What differs between the network a checkpoint holds and the one a run
    /// asks for, as readable phrases (empty when they agree).
    public static func differences(stored: ModelSpec, requested: ModelSpec) -> [String] {
        var found: [String] = []
        func compare<T: Equatable>(_ name: String, _ a: T, _ b: T) {
            if a != b { found.append("\(name): checkpoint \(a), requested \(b)") }
        }
        compare("model", stored.kind.rawValue, requested.kind.rawValue)
        compare("depth", stored.depth, requested.depth)
        compare("width", stored.width, requested.width)
        compare("input shape", stored.inputShape, requested.inputShape)
        compare("classes", stored.classes, requested.classes)
        compare("activation", stored.activation.rawValue, requested.activation.rawValue)
        compare("norm", stored.norm.rawValue, requested.norm.rawValue)
        return found
    }
}
