import Foundation
import SystemErrors

/// Why a file could not be read whole.
public enum BoundedReadError: Error, Equatable {
    /// It holds more than the limit (or never ends, as a device may not).
    case tooLarge(limit: Int)
    /// It cannot be opened or read; the system's reason.
    case unreadable(String)
}

/// Reads the whole file at `url`, never more than `limit` bytes of it: a
/// file is hostile until checked, and a device such as `/dev/zero` never ends.
public func readFile(_ url: URL, atMost limit: Int) throws(BoundedReadError) -> [UInt8] {
    do {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw BoundedReadError.tooLarge(limit: limit) }
        return [UInt8](data)
    } catch let error as BoundedReadError {
        throw error
    } catch {
        throw .unreadable(systemReason(error))
    }
}
