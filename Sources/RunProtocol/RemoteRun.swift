import Foundation
import Synchronization
import SystemErrors

/// A run in another process, or on another machine, reached through the
/// JSON-lines protocol: `reslab serve` in a child process, or any engine
/// listening on TCP (`reslab serve --listen`, `python -m reslab_torch serve`).
/// An engine that exits or a connection that drops ends the updates with
/// the reason (`engine exited (status 1)`, `connection lost`), after the
/// engine's own when its `ended` line gave one.
public final class RemoteRun: RunSession {
    public let capabilities: Set<Capability>
    public let updates: AsyncStream<RunUpdate>
    /// The engine's name, from its hello.
    public let engineName: String

    private let continuation: AsyncStream<RunUpdate>.Continuation
    private let connection: Connection
    private let writer: LineWriter
    /// The engine's lines after its hello, read from the moment it said hello.
    private let lines: AsyncStream<LineReader.Line>
    private let process: Process?
    private let errors: Pipe?
    private let stopping = Atomic<Bool>(false)
    private let reading = Mutex<Task<Void, Never>?>(nil)

    /// How long an engine may take to say hello (it may load a dataset first).
    public static let helloTimeout = 120.0

    /// Starts `command` with `/bin/sh -c` and waits for its hello.
    public convenience init(command: String) throws(WireError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw WireError("cannot start the engine '\(command)': \(systemReason(error))")
        }
        let connection = Connection(input: output.fileHandleForReading.fileDescriptor,
                                    output: input.fileHandleForWriting.fileDescriptor)
        try self.init(connection: connection, process: process, errors: errors)
    }

    /// Connects to an engine listening at `host:port` and waits for its hello.
    public convenience init(host: String, port: Int) throws(WireError) {
        try self.init(connection: try Sockets.connect(host: host, port: port), process: nil, errors: nil)
    }

    private init(connection: Connection, process: Process?, errors: Pipe?) throws(WireError) {
        self.connection = connection
        self.process = process
        self.errors = errors
        writer = LineWriter(descriptor: connection.output)
        let reader = LineReader(descriptor: connection.input)
        let hello: Hello
        do {
            hello = try Self.readHello(reader, process: process, errors: errors)
        } catch {
            process?.terminate()
            throw error
        }
        guard hello.protocol <= protocolVersion else {
            process?.terminate()
            throw WireError("the engine '\(hello.engine)' speaks protocol \(hello.protocol); this reslab speaks \(protocolVersion): update reslab")
        }
        lines = connection.lines(continuing: reader)
        engineName = hello.engine
        capabilities = Set(hello.capabilities)
        // Room for a replayed history (`RunHistory`), which arrives in one burst.
        (updates, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(4096))
    }

    /// The first line, which must be a hello.
    private static func readHello(_ reader: LineReader, process: Process?, errors: Pipe?) throws(WireError) -> Hello {
        guard let first = reader.next(within: helloTimeout) else {
            if reader.timedOut { throw WireError("the engine said nothing for \(Int(helloTimeout)) s") }
            process?.waitUntilExit()
            let said = errors.map { String(decoding: $0.fileHandleForReading.availableData.prefix(400), as: UTF8.self) } ?? ""
            let detail = said.split(separator: "\n").first.map { ": \($0)" } ?? ""
            throw WireError(process.map { "the engine exited (status \($0.terminationStatus)) before its hello\(detail)" }
                            ?? "the connection closed before the engine's hello")
        }
        guard case .text(let line) = first, case .hello(let hello)? = try? EngineMessage.decode(line) else {
            throw WireError("not a reslab engine: its first line is not a hello")
        }
        return hello
    }

    public func start() {
        let continuation = self.continuation, process = self.process
        if let errors {
            // What the engine writes to standard error goes to the event log.
            let lines = Connection(input: errors.fileHandleForReading.fileDescriptor, output: -1).lines()
            Task.detached {
                for await case .text(let line) in lines { continuation.yield(.notice("engine: " + String(decoding: line, as: UTF8.self))) }
            }
        }
        let lines = self.lines
        let task = Task.detached { [self] in
            // The engine's own word on why it ended, if it gave one.
            var engineReason: String?
            for await line in lines {
                switch line {
                case .tooLong(let bytes): continuation.yield(.notice("the engine sent a line of \(bytes) bytes, over the limit; ignored"))
                case .text(let data):
                    do {
                        switch try EngineMessage.decode(data) {
                        case .snapshot(let snapshot): continuation.yield(.snapshot(snapshot))
                        case .notice(let message): continuation.yield(.notice(message))
                        case .error(let message): continuation.yield(.notice("engine: " + message))
                        case .ended(let reason): engineReason = reason
                        case .hello: break
                        }
                    } catch {
                        continuation.yield(.notice("the engine sent a line this reslab cannot read: \(error)"))
                    }
                }
            }
            var reason: String?
            if !self.stopping.load(ordering: .relaxed) {
                if let process {
                    process.waitUntilExit()
                    reason = "engine exited (status \(process.terminationStatus))"
                } else {
                    reason = "connection lost"
                }
                // An engine that said why it ended (a distributed run whose
                // rank died) is believed first: what follows is only the consequence.
                if let engineReason, let ending = reason { reason = "\(engineReason) · \(ending)" }
            }
            continuation.yield(.ended(reason: reason))
            continuation.finish()
        }
        reading.withLock { $0 = task }
    }

    public func send(_ command: Command) {
        guard let line = try? JSONEncoder().encode(command) else { return }
        writer.write(line)
    }

    /// An engine reached over TCP goes on without this front end (`reslab
    /// serve --listen` waits for the next); one started here is stopped.
    public func leave() async {
        guard process == nil else { return await stop() }
        stopping.store(true, ordering: .relaxed)
        await hangUp()
    }

    /// Says quit, and waits up to ten seconds for the engine to finish
    /// before ending it.
    public func stop() async {
        stopping.store(true, ordering: .relaxed)
        send(.quit)
        guard let process else { return await hangUp() }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { process.terminate() }
        await reading.withLock { $0 }?.value
    }

    /// Closes the socket and waits for the reading to end.
    private func hangUp() async {
        shutdown(connection.output, Int32(SHUT_RDWR))
        await reading.withLock { $0 }?.value
        close(connection.input)
    }
}
