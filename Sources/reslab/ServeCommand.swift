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
    @Option(help: "Listen on this TCP port instead of stdin/stdout: for one front end at a time; the next one to connect takes over the run.") var listen: Int?
    @Option(help: "The address to listen on: loopback unless you mean to serve other machines.") var host = "127.0.0.1"

    func run() async throws {
        let run: Run
        var server: Int32?
        do {
            run = try options.liveRun()
            if let listen {
                server = try Sockets.listen(host: host, port: listen)
                FileHandle.standardError.write(Data("reslab serve: listening on \(host):\(listen)\n".utf8))
            }
        } catch let error as RunError {
            printError(error.description)
            throw ExitCode.failure
        } catch let error as WireError {
            printError(error.description)
            throw ExitCode.failure
        }
        let engine = "reslab \(protocolVersion)"
        if let server {
            await ProtocolServer.serve(run, engine: engine, listeningOn: server)
        } else {
            await ProtocolServer.serve(run, engine: engine, over: .standard)
        }
    }
}
