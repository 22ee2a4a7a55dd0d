import Foundation
import RunProtocol

/// `reslab serve --listen` on a random loopback port, started by a test
/// and stopped when the test lets go of it.
final class ListeningServer {
    let port = Int.random(in: 20_000..<60_000)
    let process = Process()
    /// The first line the server wrote to standard error (its announcement).
    private(set) var announcement: LineReader.Line?

    /// Starts `reslab serve --listen PORT options…` and waits for it to say it listens.
    init(_ options: [String]) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("reslab")
        process.arguments = ["serve", "--listen", "\(port)"] + options
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        announcement = LineReader(descriptor: errors.fileHandleForReading.fileDescriptor).next(within: 30)
    }

    deinit { if process.isRunning { process.terminate() } }

    /// Sends `quit` over `connection`, reads what follows to the end, and
    /// returns the last message (the run's `ended`) and the server's exit status.
    func quit(over connection: Connection, reading reader: LineReader) -> (last: EngineMessage?, status: Int32) {
        LineWriter(descriptor: connection.output).write(Data(#"{"command":"quit"}"#.utf8))
        var last: EngineMessage?
        while case .text(let line)? = reader.next(within: 30) { last = try? EngineMessage.decode(line) }
        process.waitUntilExit()
        close(connection.input)
        return (last, process.terminationStatus)
    }
}
