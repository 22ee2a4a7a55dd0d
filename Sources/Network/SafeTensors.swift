import Foundation
import Kernels
import SystemErrors

/// A named float32 tensor as stored in a checkpoint.
public struct StoredTensor: Equatable, Sendable {
    public let name: String
    public let shape: [Int]
    public let values: [Float]

    public init(name: String, shape: [Int], values: [Float]) {
        self.name = name
        self.shape = shape
        self.values = values
    }
}

/// A checkpoint file could not be read; the message says what is wrong.
public struct CheckpointError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The safetensors format: an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to its dtype, shape and byte range (plus
/// free-form string metadata under `__metadata__`), then the raw
/// little-endian float32 data. numpy, PyTorch and the `safetensors` package
/// all read it.
public enum SafeTensors {
    /// The largest header this reader accepts.
    public static let maximumHeaderLength = 100 << 20
    /// The largest file `read` loads: a quarter of the machine's memory, as
    /// the file, its values and the network each take a copy.
    public static let maximumFileBytes = Int(clamping: ProcessInfo.processInfo.physicalMemory / 4)

    /// The bytes of a file holding `tensors` and `metadata`.
    public static func encode(_ tensors: [StoredTensor], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for tensor in tensors {
            precondition(tensor.shape.reduce(1, *) == tensor.values.count, "\(tensor.name): shape does not match values")
            let size = 4 * tensor.values.count
            header[tensor.name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + size]]
            offset += size
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so that the data starts 8-byte aligned, as the reference writer does.
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        var data = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for tensor in tensors {
            var bytes = [UInt8](repeating: 0, count: 4 * tensor.values.count)
            for (index, value) in tensor.values.enumerated() {
                let bits = value.bitPattern
                bytes[4 * index] = UInt8(truncatingIfNeeded: bits)
                bytes[4 * index + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                bytes[4 * index + 2] = UInt8(truncatingIfNeeded: bits >> 16)
                bytes[4 * index + 3] = UInt8(truncatingIfNeeded: bits >> 24)
            }
            data.append(contentsOf: bytes)
        }
        return data
    }

    /// Writes the file atomically: to a temporary file beside `url`, then
    /// renamed over it. Only a regular file (or a new path) is replaced, never
    /// a device or a directory; temporary files a killed writer left for the
    /// same name are removed first.
    public static func write(_ tensors: [StoredTensor], metadata: [String: String], to url: URL) throws {
        var status = stat()
        if lstat(url.path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG {
            throw CheckpointError("cannot write \(url.path): it exists and is not a regular file")
        }
        let data = try encode(tensors, metadata: metadata)
        let directory = url.deletingLastPathComponent()
        let stale = ".\(url.lastPathComponent)."
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        where name.hasPrefix(stale) && name.hasSuffix(".tmp") && Int(name.dropFirst(stale.count).dropLast(4)) != nil {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
        let temporary = directory
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try data.write(to: temporary)
            // rename(2) replaces the target atomically: readers see the old file or the new one.
            guard rename(temporary.path, url.path) == 0 else {
                throw CheckpointError(String(cString: strerror(errno)))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            let reason = (error as? CheckpointError)?.description ?? systemReason(error)
            throw CheckpointError("cannot write \(url.path): \(reason)")
        }
    }

    /// Reads and validates a whole file.
    public static func read(_ url: URL) throws -> (tensors: [StoredTensor], metadata: [String: String]) {
        let data: [UInt8]
        do {
            data = try readFile(url, atMost: maximumFileBytes)
        } catch .tooLarge(let limit) {
            throw CheckpointError("\(url.path): holds more than \(limit >> 20) MB, more than a quarter of this machine's memory; not a checkpoint this lab can load")
        } catch .unreadable(let reason) {
            throw CheckpointError("\(url.path): cannot be read (\(reason))")
        }
        do {
            return try decode(Data(data))
        } catch let error as CheckpointError {
            throw CheckpointError("\(url.path): \(error.description)")
        }
    }

    /// Parses and validates the bytes of a file: header bounds, JSON, dtypes,
    /// shapes against byte ranges, ranges inside the data and not overlapping.
    public static func decode(_ data: Data) throws -> (tensors: [StoredTensor], metadata: [String: String]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 8 else {
            throw CheckpointError("truncated: \(bytes.count) bytes, too short for the 8-byte header length")
        }
        let length = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard length <= UInt64(maximumHeaderLength) else {
            throw CheckpointError("header length \(length) is larger than the \(maximumHeaderLength)-byte limit; not a safetensors file?")
        }
        guard 8 + Int(length) <= bytes.count else {
            throw CheckpointError("truncated: the header needs \(length) bytes but the file has \(bytes.count - 8) after the length")
        }
        let headerBytes = Data(bytes[8..<8 + Int(length)])
        guard let header = try? JSONSerialization.jsonObject(with: headerBytes) as? [String: Any] else {
            throw CheckpointError("the header is not a well-formed JSON object")
        }
        let dataStart = 8 + Int(length), dataSize = bytes.count - dataStart
        var metadata: [String: String] = [:]
        var ranges: [(name: String, range: Range<Int>, shape: [Int])] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let entries = value as? [String: String] else {
                    throw CheckpointError("__metadata__ must map strings to strings")
                }
                metadata = entries
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw CheckpointError("tensor \(name) lacks a dtype, a shape or two data_offsets") }
            guard dtype == "F32" else { throw CheckpointError("tensor \(name) has dtype \(dtype); only F32 is supported") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw CheckpointError("tensor \(name) has a negative dimension in \(shape)") }
            let (begin, end) = (offsets[0], offsets[1])
            guard 0 <= begin, begin <= end, end <= dataSize else {
                throw CheckpointError("tensor \(name) has offsets [\(begin), \(end)] outside the \(dataSize) bytes of data")
            }
            // Checked: a lying shape can multiply past Int's range.
            let needed = checkedProduct(shape, times: 4)
            guard let needed, end - begin == needed else {
                throw CheckpointError("tensor \(name) has \(end - begin) bytes, but shape \(shape) needs \(needed.map(String.init) ?? "more than the memory holds")")
            }
            ranges.append((name, begin..<end, shape))
        }
        ranges.sort { ($0.range.lowerBound, $0.name) < ($1.range.lowerBound, $1.name) }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw CheckpointError("tensors \(previous.name) and \(next.name) overlap in the data section")
        }
        // As the format requires, the tensors cover the data section exactly:
        // no hole, no trailing byte (a header length off by one shifts them all).
        var covered = 0
        for entry in ranges {
            guard entry.range.lowerBound == covered else {
                throw CheckpointError("the data section has a hole of \(entry.range.lowerBound - covered) bytes before tensor \(entry.name)")
            }
            covered = entry.range.upperBound
        }
        guard covered == dataSize else {
            throw CheckpointError("the data section has \(dataSize - covered) bytes that no tensor covers")
        }
        let tensors = ranges.map { entry in
            let values = (0..<entry.shape.reduce(1, *)).map { index -> Float in
                let at = dataStart + entry.range.lowerBound + 4 * index
                let bits = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
                return Float(bitPattern: bits)
            }
            return StoredTensor(name: entry.name, shape: entry.shape, values: values)
        }
        return (tensors, metadata)
    }
}

extension ResNet {
    /// Every parameter and buffer as a stored tensor.
    public var storedTensors: [StoredTensor] {
        (parameters + buffers).map { StoredTensor(name: $0.name, shape: $0.parameter.shape, values: $0.parameter.value) }
    }

    /// Copies stored values into this network after checking that every
    /// tensor is present with the right shape; nothing is changed otherwise.
    public func load(_ tensors: [StoredTensor]) throws {
        let stored = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let entries = parameters + buffers
        var problems: [String] = []
        for entry in entries {
            guard let tensor = stored[entry.name] else {
                problems.append("\(entry.name) is missing")
                continue
            }
            if tensor.shape != entry.parameter.shape {
                problems.append("\(entry.name) is \(tensor.shape) in the checkpoint but \(entry.parameter.shape) in this network")
            }
        }
        let expected = Set(entries.map(\.name))
        let extra = tensors.map(\.name).filter { !expected.contains($0) }.sorted()
        if !extra.isEmpty { problems.append("unexpected tensors \(extra.prefix(3).joined(separator: ", "))\(extra.count > 3 ? ", …" : "")") }
        guard problems.isEmpty else {
            throw CheckpointError("the checkpoint does not fit this network: " + problems.prefix(4).joined(separator: "; "))
        }
        for entry in entries { entry.parameter.value = stored[entry.name]!.values }
    }
}
