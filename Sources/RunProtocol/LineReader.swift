import Foundation

/// Reads newline-terminated lines from a file descriptor, none longer than
/// `limit` bytes: a longer line is skipped to its end and reported, so that
/// no peer can make this side hold more than the limit.
public final class LineReader {
    /// A line, or the news that one was too long.
    public enum Line: Equatable, Sendable {
        case text(Data)
        case tooLong(bytes: Int)
    }

    /// 16 MiB: far above any snapshot, far below trouble.
    public static let defaultLimit = 16 << 20

    private let descriptor: Int32
    private let limit: Int
    private var buffer: [UInt8] = []
    /// What one `read` fills, kept from read to read.
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    /// How many bytes at the front of `buffer` are known to hold no newline,
    /// so that each byte is searched once, however long the line.
    private var searched = 0
    private var skipping = 0
    private var atEnd = false

    public init(descriptor: Int32, limit: Int = LineReader.defaultLimit) {
        self.descriptor = descriptor
        self.limit = limit
    }

    /// Whether the last `next(within:)` gave up waiting.
    public private(set) var timedOut = false

    /// The next line (without its newline), or nil at the end of the input,
    /// or after `seconds` without one (then `timedOut` is set). Blocks until
    /// a line is complete.
    public func next(within seconds: Double? = nil) -> Line? {
        timedOut = false
        let deadline = seconds.map { Date().addingTimeInterval($0) }
        while true {
            if let newline = buffer[searched...].firstIndex(of: 0x0A) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                searched = 0
                if skipping > 0 {
                    defer { skipping = 0 }
                    return .tooLong(bytes: skipping + line.count)
                }
                return .text(line)
            }
            searched = buffer.count
            if buffer.count > limit {
                skipping += buffer.count
                buffer.removeAll(keepingCapacity: true)
                searched = 0
            }
            if atEnd {
                guard !buffer.isEmpty || skipping > 0 else { return nil }
                defer { buffer.removeAll(); searched = 0; skipping = 0 }
                return skipping > 0 ? .tooLong(bytes: skipping + buffer.count) : .text(Data(buffer))
            }
            if let deadline {
                // A peer that never stops sending, and never ends a line,
                // must not hold the wait open past its deadline either.
                var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let left = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
                if left == 0 || poll(&waiting, 1, left) == 0 {
                    timedOut = true
                    return nil
                }
            }
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { atEnd = true } else { buffer.append(contentsOf: chunk[0..<count]) }
        }
    }
}

/// Writes whole lines to a file descriptor, one writer at a time; a peer
/// that has gone away makes writes fail quietly, never kill the process.
public final class LineWriter: Sendable {
    private let descriptor: Int32
    private let lock = NSLock()

    public init(descriptor: Int32) { self.descriptor = descriptor }

    /// Writes `line` and a newline; false if the peer is gone.
    @discardableResult
    public func write(_ line: Data) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        var bytes = [UInt8](line)
        bytes.append(0x0A)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
