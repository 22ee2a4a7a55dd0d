import Foundation

/// The two ends of a protocol connection: where lines come in and go out.
/// Standard input and output, a child process's pipes, or a TCP socket.
public struct Connection: Sendable {
    public let input: Int32
    public let output: Int32

    public init(input: Int32, output: Int32) {
        self.input = input
        self.output = output
    }

    /// This process's standard input and output.
    public static let standard = Connection(input: 0, output: 1)

    /// The lines arriving on `input`, read on a thread of their own (reading
    /// blocks), from `reader` if some were read already; the stream finishes
    /// at the end of the input.
    public func lines(continuing reader: LineReader? = nil) -> AsyncStream<LineReader.Line> {
        let (stream, continuation) = AsyncStream<LineReader.Line>.makeStream(bufferingPolicy: .unbounded)
        let reader = UncheckedReader(reader: reader ?? LineReader(descriptor: input))
        let thread = Thread {
            while let line = reader.reader.next() { continuation.yield(line) }
            continuation.finish()
        }
        thread.name = "reslab-wire-reader"
        thread.start()
        return stream
    }
}

/// A reader handed to the one thread that reads from then on.
// Why `@unchecked Sendable` is safe: the reader is used by its creator only
// before the thread starts, and by that thread alone afterwards.
private struct UncheckedReader: @unchecked Sendable {
    let reader: LineReader
}

/// TCP for the protocol: one front end at a time, loopback unless told otherwise.
public enum Sockets {
    /// A listening socket on `host:port` (an IPv4 address).
    public static func listen(host: String, port: Int) throws(WireError) -> Int32 {
        guard (1...65535).contains(port) else { throw WireError("--listen takes a port from 1 to 65535 (got \(port))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { throw WireError("'\(host)' is not an IPv4 address") }
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard server >= 0 else { throw WireError("cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(server, 1) == 0 else {
            let reason = String(cString: strerror(errno))
            close(server)
            throw WireError("cannot listen on \(host):\(port): \(reason)")
        }
        return server
    }

    /// Waits for one front end on `server`.
    public static func accept(_ server: Int32) throws(WireError) -> Connection {
        let client = Glibc.accept(server, nil, nil)
        guard client >= 0 else { throw WireError("accept failed: \(String(cString: strerror(errno)))") }
        return Connection(input: client, output: client)
    }

    /// Connects to an engine at `host:port`.
    public static func connect(host: String, port: Int) throws(WireError) -> Connection {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            throw WireError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(found) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        var reason = "no address"
        while let info = entry {
            let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if descriptor >= 0 {
                if Glibc.connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    return Connection(input: descriptor, output: descriptor)
                }
                reason = String(cString: strerror(errno))
                close(descriptor)
            }
            entry = info.pointee.ai_next
        }
        throw WireError("cannot connect to \(host):\(port): \(reason)")
    }
}
