import Foundation

/// The engine's side of the protocol: says hello, then writes every update
/// of `run` as a line and applies every command line it reads. A line it
/// cannot take gets one `error` line back; nothing a front end sends can
/// stop it otherwise.
///
/// On standard input and output the run stops when the front end sends
/// `quit` or goes away. Listening on a socket, a front end that goes away
/// (a closed terminal, a lost network) leaves the run going: the next one to
/// connect hears the hello, the run's history (`RunHistory`) and then the
/// live updates. `quit`, or the run's own end, stops it.
public enum ProtocolServer {
    /// Serves `run` over `connection` until `quit` or the end of its input.
    public static func serve(_ run: any RunSession, engine: String, over connection: Connection) async {
        let relay = Relay(hello: hello(run, engine: engine))
        let forwarder = forward(run, to: relay)
        await relay.attach(LineWriter(descriptor: connection.output))
        run.start()
        _ = await applyCommands(from: connection, to: run, relay: relay)
        await run.stop()
        await forwarder.value
    }

    /// Serves `run` to one front end after another, accepted on the
    /// listening socket `server` (which it closes at the end). The run
    /// starts when the first one has connected.
    public static func serve(_ run: any RunSession, engine: String, listeningOn server: Int32) async {
        let relay = Relay(hello: hello(run, engine: engine))
        // A run that ends while no front end is connected stops the waiting.
        let forwarder = forward(run, to: relay) { shutdown(server, Int32(SHUT_RDWR)) }
        var started = false
        var quitter: Connection?
        while !(await relay.ended), let connection = await nextFrontEnd(on: server) {
            await relay.attach(LineWriter(descriptor: connection.output))
            if !started {
                run.start()
                started = true
            }
            if await applyCommands(from: connection, to: run, relay: relay) {
                // The front end that said quit hears the run's end.
                quitter = connection
                break
            }
            await relay.detach()
            close(connection.input)
        }
        close(server)
        await run.stop()
        // A run that never started has no updates to end.
        if started { await forwarder.value } else { forwarder.cancel() }
        if let quitter { close(quitter.input) }
    }

    private static func hello(_ run: any RunSession, engine: String) -> Data {
        EngineMessage.hello(Hello(engine: engine, capabilities: run.capabilities.sorted { $0.rawValue < $1.rawValue }))
            .encoded()
    }

    /// Hands every update of `run` to `relay`; `atEnd` runs once the run has ended.
    private static func forward(_ run: any RunSession, to relay: Relay,
                                atEnd: @escaping @Sendable () -> Void = {}) -> Task<Void, Never> {
        Task.detached {
            for await update in run.updates { await relay.deliver(update) }
            atEnd()
        }
    }

    /// The next front end to connect, accepted on a thread of its own (it
    /// may wait for hours), or nil once the socket is shut down.
    private static func nextFrontEnd(on server: Int32) async -> Connection? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: try? Sockets.accept(server)) }.start()
        }
    }

    /// Applies each command line of `connection` to `run` until the input
    /// ends (false) or a `quit` arrives (true).
    private static func applyCommands(from connection: Connection, to run: any RunSession, relay: Relay) async -> Bool {
        var number = 0
        for await line in connection.lines() {
            number += 1
            switch line {
            case .tooLong(let bytes):
                await relay.reply(.error("line \(number): \(bytes) bytes, over the \(LineReader.defaultLimit >> 20) MiB limit; ignored"))
            case .text(let data):
                guard data.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { continue }
                do {
                    let command = try WireError.command(data)
                    if command == .quit { return true }
                    run.send(command)
                } catch {
                    await relay.reply(.error("line \(number): \(error.description)"))
                }
            }
        }
        return false
    }
}

/// Where the run's updates go: to the front end connected now, if any, and
/// into the history that a front end connecting later hears first.
private actor Relay {
    private let hello: Data
    private var history = RunHistory()
    private var writer: LineWriter?
    /// The run's `ended` line, once it has come.
    private var end: Data?

    init(hello: Data) { self.hello = hello }

    var ended: Bool { end != nil }

    func deliver(_ update: RunUpdate) {
        let line: Data
        switch update {
        case .snapshot(let snapshot):
            history.record(snapshot)
            line = EngineMessage.snapshot(snapshot).encoded()
        case .notice(let message):
            line = EngineMessage.notice(message).encoded()
        case .ended(let reason):
            line = EngineMessage.ended(reason: reason).encoded()
            end = line
        }
        writer?.write(line)
    }

    /// Says hello to a front end, tells it the run so far, and sends it every update from now on.
    func attach(_ writer: LineWriter) {
        writer.write(hello)
        for snapshot in history.replay() { writer.write(EngineMessage.snapshot(snapshot).encoded()) }
        if let end { writer.write(end) }
        self.writer = writer
    }

    func detach() { writer = nil }

    /// A line for the front end connected now alone.
    func reply(_ message: EngineMessage) { writer?.write(message.encoded()) }
}
