import Foundation
import Kernels

/// The IDX format of MNIST and Fashion-MNIST: a big-endian magic number
/// (`0x0000_08_NN`, unsigned bytes, NN dimensions), the dimensions as
/// big-endian 32-bit integers, then the bytes.
public struct IDXFile {
    public let dimensions: [Int]
    public let bytes: [UInt8]

    /// Parses `data`, read from `file`, expecting `rank` dimensions.
    public init(_ data: [UInt8], file: URL, rank: Int) throws {
        let length = try Self.declaredLength(header: data, file: file, rank: rank)
        let header = Self.headerLength(rank: rank)
        dimensions = (0..<rank).map { Self.bigEndian(data, at: 4 + 4 * $0) }
        guard data.count == length else {
            throw DataError(file, "holds \(data.count - header) bytes of data but its header \(dimensions) needs \(length - header)")
        }
        // Moved down in place: a copy of a dataset's tens of MB would double them.
        var data = data
        data.removeFirst(header)
        bytes = data
    }

    static func headerLength(rank: Int) -> Int { 4 + 4 * rank }

    /// The whole file's length as its header (the first bytes of `data`)
    /// declares it, after checking the magic number and that the dimensions
    /// multiply to no more than `maximumInflatedBytes`.
    static func declaredLength(header data: [UInt8], file: URL, rank: Int) throws -> Int {
        guard !data.isEmpty else { throw DataError(file, "is empty") }
        guard data.count >= 4 else { throw DataError(file, "is too short to be an IDX file (\(data.count) bytes)") }
        let magic = Self.bigEndian(data, at: 0)
        guard magic == 0x0800 | rank else {
            throw DataError(file, String(format: "has the wrong magic number 0x%08X (expected 0x%08X, IDX unsigned bytes with %d dimensions)",
                                         magic, 0x0800 | rank, rank))
        }
        let header = headerLength(rank: rank)
        guard data.count >= header else { throw DataError(file, "ends inside its IDX header") }
        let dimensions = (0..<rank).map { Self.bigEndian(data, at: 4 + 4 * $0) }
        guard let length = checkedProduct(dimensions, times: 1, atMost: maximumInflatedBytes - header) else {
            throw DataError(file, "has a header \(dimensions) that declares more than \(maximumInflatedBytes >> 20) MB, more than any dataset this lab reads")
        }
        return header + length
    }

    /// Reads an IDX file, inflating it if compressed, to no more than its header declares.
    public static func read(_ url: URL, rank: Int) throws -> IDXFile {
        try IDXFile(try readMaybeCompressed(url, declared: declaredSize(file: url, rank: rank)), file: url, rank: rank)
    }

    /// Parses the bytes of an IDX file, inflating them first if compressed.
    public static func decode(_ bytes: [UInt8], file: URL, rank: Int) throws -> IDXFile {
        try IDXFile(try decompressIfNeeded(bytes, file: file, declared: declaredSize(file: file, rank: rank)), file: file, rank: rank)
    }

    private static func declaredSize(file: URL, rank: Int) -> DeclaredSize {
        DeclaredSize(headerLength: headerLength(rank: rank)) { try declaredLength(header: $0, file: file, rank: rank) }
    }

    private static func bigEndian(_ data: [UInt8], at offset: Int) -> Int {
        data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
    }
}

/// Reads an IDX image file and its label file into samples, checking that
/// they agree with each other and with the expected image size and class count.
public func readIDXPair(images imageURL: URL, labels labelURL: URL, height: Int, width: Int,
                        classes: Int) throws -> (pixels: [UInt8], labels: [Int]) {
    let images = try IDXFile.read(imageURL, rank: 3)
    let labels = try IDXFile.read(labelURL, rank: 1)
    guard images.dimensions[1] == height, images.dimensions[2] == width else {
        throw DataError(imageURL, "holds \(images.dimensions[1])×\(images.dimensions[2]) images; expected \(height)×\(width)")
    }
    guard images.dimensions[0] == labels.dimensions[0] else {
        throw DataError(imageURL, "holds \(images.dimensions[0]) images but \(labelURL.lastPathComponent) holds \(labels.dimensions[0]) labels")
    }
    if let bad = labels.bytes.firstIndex(where: { Int($0) >= classes }) {
        throw DataError(labelURL, "has label \(labels.bytes[bad]) at index \(bad); labels must be below \(classes)")
    }
    return (images.bytes, labels.bytes.map(Int.init))
}
