import CZlib
import Foundation
import Kernels

/// The most a dataset file may hold, or inflate to: the largest file this lab
/// reads (Fashion-MNIST's training images, 47 MB) with room to spare. A
/// gzip bomb stops here with an error instead of taking the memory.
public let maximumInflatedBytes = 64 << 20

/// What a file's header says the whole file's size is: the header's length,
/// and the size its bytes declare (throwing if they are not a valid header).
/// With it, a compressed file inflates to no more than it declares.
public struct DeclaredSize {
    public let headerLength: Int
    public let total: ([UInt8]) throws -> Int

    public init(headerLength: Int, total: @escaping ([UInt8]) throws -> Int) {
        self.headerLength = headerLength
        self.total = total
    }
}

/// Reads a whole file, inflating it first if it is gzip-compressed.
///
/// Nothing larger than `maximumInflatedBytes` is read or inflated, and with
/// `declared`, nothing larger than the header declares. Errors name the file
/// and say what is wrong with it; a truncated or corrupt stream is an error,
/// never a short read.
public func readMaybeCompressed(_ url: URL, declared: DeclaredSize? = nil) throws -> [UInt8] {
    let bytes: [UInt8]
    do {
        bytes = try readFile(url, atMost: maximumInflatedBytes)
    } catch .tooLarge {
        throw DataError(url, "holds more than \(maximumInflatedBytes >> 20) MB, more than any dataset file this lab reads; not a dataset file?")
    } catch .unreadable(let reason) {
        throw DataError(url, "cannot be read (\(reason))")
    }
    return try decompressIfNeeded(bytes, file: url, declared: declared)
}

/// `bytes`, read from `file`, inflated first if they are a gzip stream.
public func decompressIfNeeded(_ bytes: [UInt8], file: URL, declared: DeclaredSize? = nil) throws -> [UInt8] {
    guard bytes.count >= 2, bytes[0] == 0x1F, bytes[1] == 0x8B else { return bytes }
    return try inflate(bytes, file: file, declared: declared)
}

/// Inflates a complete gzip stream, to at most `limit` bytes, and with
/// `declared` to at most what its header declares: the header is inflated
/// first, and the buffer for the rest is sized from it.
func inflate(_ compressed: [UInt8], file: URL, limit: Int = maximumInflatedBytes, declared: DeclaredSize? = nil) throws -> [UInt8] {
    var stream = z_stream()
    guard reslab_inflate_init(&stream) == Z_OK else { throw DataError(file, "zlib could not be initialised") }
    defer { inflateEnd(&stream) }
    // Without a header to trust, the gzip trailer's size (modulo 2³², and
    // one the file controls) is only a first guess, never larger than these
    // bytes could plausibly inflate to, nor than the limit (+1, to see the
    // limit passed); the buffer then grows, doubling, as the data comes.
    let tail = compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
    let plausible = compressed.count.multipliedReportingOverflow(by: 8).partialValue + 65_536
    var output = [UInt8](repeating: 0, count: declared.map { max(1, $0.headerLength) } ?? min(max(tail, 1024), plausible, limit + 1))
    var bound = limit
    var headerRead = declared == nil
    var produced = 0
    var status = Z_OK
    try compressed.withUnsafeBufferPointer { source in
        // zlib only reads its input; the pointer is mutable in its C declaration only.
        stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
        stream.avail_in = uInt(source.count)
        while status == Z_OK {
            if produced == output.count {
                if !headerRead, let declared {
                    headerRead = true
                    let total = try declared.total(output)
                    guard total <= limit else {
                        throw DataError(file, "declares \(total) bytes in its header, more than any dataset file this lab reads (\(limit >> 20) MB)")
                    }
                    bound = total
                }
                guard output.count <= bound else { break }
                let grown = declared == nil ? 2 * output.count : bound + 1
                output.append(contentsOf: repeatElement(0, count: min(grown, bound + 1) - output.count))
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
    if produced > bound {
        throw DataError(file, bound < limit
            ? "inflates to more than the \(bound) bytes its header declares"
            : "inflates to more than \(limit >> 20) MB, more than any dataset this lab reads; not a dataset file?")
    }
    switch status {
    case Z_STREAM_END:
        // Cut in place: a copy of a dataset's tens of MB would double them.
        output.removeLast(output.count - produced)
        return output
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
