import ArgumentParser
import Foundation
import Lab
import RunProtocol

/// `reslab serve`: an engine that speaks the JSON-lines protocol, on
/// stdin/stdout or on a TCP port, for a dashboard in another process
/// (`reslab --engine …`) or any other front end.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run an engine that speaks the JSON-lines protocol (README, \"The protocol\") on stdin/stdout or TCP.")

    @OptionGroup var options: RunOptions
    @Option(help: "Listen on this TCP port for one front end, instead of stdin/stdout.") var listen: Int?
    @Option(help: "The address to listen on: loopback unless you mean to serve other machines.") var host = "127.0.0.1"

    func run() async throws {
        let run: Run
        let connection: Connection
        do {
            run = try options.liveRun()
            if let listen {
                let server = try Sockets.listen(host: host, port: listen)
                FileHandle.standardError.write(Data("reslab serve: listening on \(host):\(listen)\n".utf8))
                connection = try Sockets.accept(server)
                close(server)
            } else {
                connection = .standard
            }
        } catch let error as RunError {
            printError(error.description)
            throw ExitCode.failure
        } catch let error as WireError {
            printError(error.description)
            throw ExitCode.failure
        }
        await ProtocolServer.serve(run, engine: "reslab \(protocolVersion)", over: connection)
    }
}
