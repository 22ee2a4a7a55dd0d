import CZlib
import Foundation

/// Reads a whole file, inflating it first if it is gzip-compressed.
///
/// Errors name the file and say what is wrong with it; a truncated or corrupt
/// stream is an error, never a short read.
public func readMaybeCompressed(_ url: URL) throws -> [UInt8] {
    let raw: Data
    do {
        raw = try Data(contentsOf: url)
    } catch {
        throw DataError(url, "cannot be read (\((error as NSError).localizedDescription))")
    }
    let bytes = [UInt8](raw)
    guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else { return bytes }
    return try inflate(bytes, file: url)
}

/// The most a dataset file may inflate to: the largest compressed file this
/// lab reads (Fashion-MNIST's training images, 47 MB) with room to spare. A
/// gzip bomb stops here with an error instead of taking the memory.
public let maximumInflatedBytes = 64 << 20

/// Inflates a complete gzip stream, to at most `limit` bytes.
func inflate(_ compressed: [UInt8], file: URL, limit: Int = maximumInflatedBytes) throws -> [UInt8] {
    var stream = z_stream()
    guard reslab_inflate_init(&stream) == Z_OK else { throw DataError(file, "zlib could not be initialised") }
    defer { inflateEnd(&stream) }
    // The gzip trailer stores the uncompressed size modulo 2³²: a first
    // guess, but one the file controls. So the first buffer is never larger
    // than these bytes could plausibly inflate to, nor than the limit (+1,
    // to see the limit passed); it grows, doubling, as the data comes.
    let tail = compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
    let plausible = compressed.count.multipliedReportingOverflow(by: 8).partialValue + 65_536
    var output = [UInt8](repeating: 0, count: min(max(tail, 1024), plausible, limit + 1))
    var produced = 0
    var status = Z_OK
    var input = compressed
    input.withUnsafeMutableBufferPointer { source in
        stream.next_in = source.baseAddress
        stream.avail_in = uInt(source.count)
        while status == Z_OK {
            if produced == output.count {
                guard output.count <= limit else { break }
                output.append(contentsOf: repeatElement(0, count: min(output.count, limit + 1 - output.count)))
            }
            output.withUnsafeMutableBufferPointer { target in
                stream.next_out = target.baseAddress! + produced
                stream.avail_out = uInt(target.count - produced)
                status = CZlib.inflate(&stream, Z_NO_FLUSH)
                produced = target.count - Int(stream.avail_out)
            }
            if status == Z_BUF_ERROR && stream.avail_in > 0 && produced == output.count { status = Z_OK }
        }
    }
    if produced > limit {
        throw DataError(file, "inflates to more than \(limit >> 20) MB, more than any dataset this lab reads; not a dataset file?")
    }
    switch status {
    case Z_STREAM_END:
        return Array(output[..<produced])
    case Z_BUF_ERROR:
        throw DataError(file, "is a truncated gzip stream (it ends after \(produced) bytes of data)")
    default:
        throw DataError(file, "is not a valid gzip stream (zlib error \(status))")
    }
}

/// A dataset file is missing or malformed. The message names the file.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ file: URL, _ problem: String) {
        description = "\(file.path) \(problem)"
    }

    public init(message: String) {
        description = message
    }
}
