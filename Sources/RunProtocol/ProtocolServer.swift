import Foundation

/// The engine's side of the protocol: says hello, then writes every update
/// of `run` as a line and applies every command line it reads, until the
/// front end sends `quit` or goes away. A line it cannot take gets one
/// `error` line back; nothing a front end sends can stop it otherwise.
public enum ProtocolServer {
    public static func serve(_ run: any RunSession, engine: String, over connection: Connection) async {
        let writer = LineWriter(descriptor: connection.output)
        writer.write(EngineMessage.hello(Hello(engine: engine, capabilities: run.capabilities.sorted { $0.rawValue < $1.rawValue }))
            .encoded())
        let forwarder = Task.detached {
            for await update in run.updates {
                switch update {
                case .snapshot(let snapshot): writer.write(EngineMessage.snapshot(snapshot).encoded())
                case .notice(let message): writer.write(EngineMessage.notice(message).encoded())
                case .ended(let reason): writer.write(EngineMessage.ended(reason: reason).encoded())
                }
            }
        }
        run.start()
        var number = 0
        reading: for await line in connection.lines() {
            number += 1
            switch line {
            case .tooLong(let bytes):
                writer.write(EngineMessage.error("line \(number): \(bytes) bytes, over the \(LineReader.defaultLimit >> 20) MiB limit; ignored").encoded())
            case .text(let data):
                guard data.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { continue }
                do {
                    let command = try WireError.command(data)
                    if command == .quit { break reading }
                    run.send(command)
                } catch {
                    writer.write(EngineMessage.error("line \(number): \(error.description)").encoded())
                }
            }
        }
        await run.stop()
        await forwarder.value
    }
}
