import Foundation
import RunProtocol
import Testing
import TestSupport

/// `reslab serve` driven the way a front end drives it: commands in on
/// stdin, engine messages out on stdout.
// Why `@unchecked Sendable` is safe: one test owns each ServedEngine, and
// its reads run off the cooperative pool one at a time while that test
// awaits them. The one write that may overlap a read
// (`sendRawWhileReading`) touches only `input`, which reads never touch.
final class ServedEngine: @unchecked Sendable {
    let process = Process()
    private let input = Pipe()
    private let reader: LineReader
    /// Every line read so far.
    private(set) var lines: [Data] = []

    init(_ arguments: [String]) throws {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        process.executableURL = products.appendingPathComponent("reslab")
        process.arguments = ["serve"] + arguments
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        reader = LineReader(descriptor: output.fileHandleForReading.fileDescriptor)
    }

    func send(_ command: Command) throws {
        input.fileHandleForWriting.write(try JSONEncoder().encode(command) + Data("\n".utf8))
    }

    func sendRaw(_ line: String) { input.fileHandleForWriting.write(Data((line + "\n").utf8)) }

    /// Sends `line` from a thread of its own and returns at once. A line
    /// larger than the pipe blocks its writer until the engine has read it,
    /// and the engine may first need its own output drained, so the test
    /// must be free to read meanwhile, as a real front end is.
    func sendRawWhileReading(_ line: String) -> Task<Void, Error> {
        Task { try await offPool { self.sendRaw(line) } }
    }

    /// Reads messages until `condition` holds for one; returns it.
    func read(until condition: @escaping @Sendable (EngineMessage) -> Bool, seconds: Double = 60) async throws -> EngineMessage {
        try await offPool { try self.readBlocking(until: condition, seconds: seconds) }
    }

    private func readBlocking(until condition: (EngineMessage) -> Bool, seconds: Double) throws -> EngineMessage {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, let line = reader.next(within: deadline.timeIntervalSinceNow) {
            guard case .text(let data) = line else { continue }
            lines.append(data)
            let message = try EngineMessage.decode(data)
            if condition(message) { return message }
        }
        throw WireError("no such message within \(seconds) s")
    }

    /// Says quit and reads to the end.
    func quit() async throws {
        try send(.quit)
        try await offPool {
            while let line = self.reader.next(within: 30) { if case .text(let data) = line { self.lines.append(data) } }
            self.process.waitUntilExit()
        }
    }
}

extension EngineMessage {
    var snapshot: Snapshot? {
        if case .snapshot(let snapshot) = self { return snapshot }
        return nil
    }
}

@Suite(.timeLimit(.minutes(3)))
struct ServeTests {
    /// The acceptance script: delete block 3, evaluate, run the lesion sweep,
    /// quit. The sweep equals `reslab lesion --load` on the run's checkpoint.
    @Test func scriptedSessionMatchesTheHeadlessLesionCommand() async throws {
        try await withTemporaryDirectory { directory in
            let checkpoint = directory.appendingPathComponent("served.safetensors").path
            let engine = try ServedEngine(["--depth", "5", "--steps", "150", "--threads", "1", "--save", checkpoint])
            guard case .hello(let hello) = try await engine.read(until: { _ in true }) else {
                Issue.record("no hello")
                return
            }
            #expect(hello.protocol == protocolVersion && hello.capabilities.contains(.lesionSweep))
            _ = try await engine.read { $0.snapshot?.events.contains { $0.message.hasPrefix("saved checkpoint") } == true }
            try engine.send(.toggleDelete(block: 2))
            try engine.send(.evaluate)
            let lesioned = try #require(try await engine.read { $0.snapshot?.lesionedValidationAccuracy != nil }.snapshot)
            #expect(lesioned.blockModes[2] == .deleted)
            try engine.send(.lesionSweep)
            let swept = try #require(try await engine.read { $0.snapshot?.lesionSweep != nil && $0.snapshot?.experiment == nil }.snapshot)
            try await engine.quit()
            #expect(engine.process.terminationStatus == 0)
            if case .ended(let reason)? = try engine.lines.last.map({ try EngineMessage.decode($0) }) {
                #expect(reason == nil)
            } else {
                Issue.record("the last line is not `ended`")
            }
            let headless = try await reslab("lesion", "--load", checkpoint, "--json", "--threads", "1")
            #expect(headless.status == 0, "\(headless.stderr)")
            let single = try JSONDecoder().decode(SingleLesionResult.self, from: Data(headless.stdout.split(separator: "\n")[0].utf8))
            #expect(swept.lesionSweep == single)
        }
    }

    @Test func badLinesGetOneErrorEachAndTheEngineCarriesOn() async throws {
        let engine = try ServedEngine(["--depth", "3", "--steps", "40", "--threads", "1"])
        _ = try await engine.read { if case .hello = $0 { return true } else { return false } }
        engine.sendRaw("not json")
        engine.sendRaw(#"{"command":"fly"}"#)
        let huge = engine.sendRawWhileReading(String(repeating: "x", count: 17 << 20))
        let first = try await engine.read { if case .error = $0 { return true } else { return false } }
        #expect(first == .error("line 1: not JSON: 'not json'"))
        #expect(try await engine.read { if case .error = $0 { return true } else { return false } } == .error(
            #"line 2: bad command '{"command":"fly"}': unknown command 'fly'"#))
        #expect(try await engine.read { if case .error = $0 { return true } else { return false } }
                == .error("line 3: 17825792 bytes, over the 16 MiB limit; ignored"))
        try await huge.value
        try engine.send(.toggleDelete(block: 1))
        _ = try await engine.read { $0.snapshot?.blockModes.contains(.deleted) == true }
        try await engine.quit()
        #expect(engine.process.terminationStatus == 0)
    }

    /// Every kind of message the Swift engine writes, and every command,
    /// validated against the committed JSON Schema by Python's jsonschema.
    @Test func everyMessageFitsTheCommittedSchema() async throws {
        try await withTemporaryDirectory { directory in
            let engine = try ServedEngine(["--depth", "4", "--steps", "60", "--threads", "1", "--eval-every", "20"])
            _ = try await engine.read { $0.snapshot?.state == .finished }
            for command in [Command.toggleDelete(block: 1), .lesionSweep, .kDeletionCurve, .pathReport] { try engine.send(command) }
            _ = try await engine.read { message in
                guard let s = message.snapshot else { return false }
                return s.lesionSweep != nil && s.kDeletions != nil && s.paths != nil && s.experiment == nil
            }
            engine.sendRaw("not json")
            _ = try await engine.read { if case .error = $0 { return true } else { return false } }
            try await engine.quit()
            let extras: [EngineMessage] = [.notice("saved"), .ended(reason: "connection lost")]
            var lines = engine.lines.map { "engine " + String(decoding: $0, as: UTF8.self) }
            lines += extras.map { "engine " + String(decoding: $0.encoded(), as: UTF8.self) }
            lines += try Command.examples.map { "command " + String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
            let kinds = Set(engine.lines.compactMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }.compactMap { $0["kind"] as? String })
            #expect(kinds.isSuperset(of: ["hello", "train", "error", "ended"]))
            let file = directory.appendingPathComponent("messages.txt")
            try lines.joined(separator: "\n").appending("\n").write(to: file, atomically: true, encoding: .utf8)
            let (status, report) = try await runPython([
                repositoryRoot.appendingPathComponent("Tests/Protocol/validate.py").path,
                repositoryRoot.appendingPathComponent("Sources/RunProtocol/protocol.schema.json").path, file.path])
            #expect(status == 0, "\(report)")
            #expect(report.contains("0 invalid"), "\(report)")
        }
    }

    /// A front end learns of an engine that cannot start, is not an engine,
    /// speaks a newer protocol, or exits mid-run, in one sentence each.
    @Test func remoteEnginesThatFailAreExplained() async throws {
        func refusal(_ command: String) -> String {
            do {
                _ = try RemoteRun(command: command)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(refusal("echo oops >&2; exit 3") == "the engine exited (status 3) before its hello: oops")
        #expect(refusal("echo hello") == "not a reslab engine: its first line is not a hello")
        #expect(refusal(#"echo '{"kind":"hello","protocol":2,"engine":"future","capabilities":[]}'"#)
                == "the engine 'future' speaks protocol 2; this reslab speaks 1: update reslab")
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let run = try RemoteRun(command: "timeout 3 \(products)/reslab serve --depth 3 --steps 1000000 --threads 1")
        run.start()
        var ending: String??
        for await update in run.updates { if case .ended(let reason) = update { ending = reason } }
        #expect(ending == .some("engine exited (status 124)"))
        // An engine that says why it ends is believed first.
        let said = try RemoteRun(command: #"echo '{"kind":"hello","protocol":1,"engine":"e","capabilities":[]}'; "#
                                 + #"echo '{"kind":"ended","reason":"a rank stopped"}'; exit 1"#)
        said.start()
        var told: String??
        for await update in said.updates { if case .ended(let reason) = update { told = reason } }
        #expect(told == .some("a rank stopped · engine exited (status 1)"))
    }

    /// `reslab serve --listen` on loopback, reached over TCP.
    @Test func listensOnLoopbackForOneFrontEnd() async throws {
        let server = try ListeningServer(["--depth", "3", "--steps", "50", "--threads", "1"])
        #expect(server.announcement == .text(Data("reslab serve: listening on 127.0.0.1:\(server.port)".utf8)))
        let run = try RemoteRun(host: "127.0.0.1", port: server.port)
        #expect(run.engineName == "reslab 1")
        run.start()
        var finished = false
        for await update in run.updates {
            if case .snapshot(let snapshot) = update, snapshot.state == .finished, !finished {
                finished = true
                await run.stop()
            }
        }
        server.process.waitUntilExit()
        #expect(finished)
        #expect(server.process.terminationStatus == 0)
    }
    /// A front end that goes away (without `quit`) leaves a listening run
    /// going: the next one to connect hears the hello, the evaluations so
    /// far from step 0 and the whole event log, then live snapshots; its
    /// `quit` ends the run.
    @Test func theNextFrontEndTakesOverARunAndHearsItsHistory() async throws {
        let server = try ListeningServer(["--depth", "3", "--steps", "1000000", "--eval-every", "20", "--threads", "1"])
        let port = server.port

        /// The next message from `reader`, decoded.
        func message(_ reader: LineReader) throws -> EngineMessage? {
            guard case .text(let line) = reader.next(within: 30) else { return nil }
            return try EngineMessage.decode(line)
        }
        // The first front end watches the run pass step 100, then goes away.
        let first = try Sockets.connect(host: "127.0.0.1", port: port)
        let firstReader = LineReader(descriptor: first.input)
        guard case .hello = try message(firstReader) else { Issue.record("no hello"); return }
        var seen = 0
        while seen < 100, case .snapshot(let snapshot) = try message(firstReader) { seen = snapshot.step }
        close(first.input)

        let second = try Sockets.connect(host: "127.0.0.1", port: port)
        let reader = LineReader(descriptor: second.input)
        guard case .hello = try message(reader) else { Issue.record("no hello on reconnecting"); return }
        var replayed: [Snapshot] = []
        while case .snapshot(let snapshot) = try message(reader) {
            replayed.append(snapshot)
            if !snapshot.events.isEmpty { break }
        }
        let steps = replayed.map(\.step)
        #expect(steps.first == 0 && steps.last! >= seen && steps == steps.sorted())
        #expect(replayed.dropLast().allSatisfy { $0.evaluatedAtStep == $0.step && $0.events.isEmpty })
        #expect(replayed.last?.events.first?.id == 1)
        #expect(replayed.last?.events.first?.message.hasPrefix("training spirals") == true)
        guard case .snapshot(let live) = try message(reader) else { Issue.record("no live snapshot"); return }
        #expect(live.step >= steps.last!)
        let (last, status) = server.quit(over: second, reading: reader)
        #expect(last == .ended(reason: nil))
        #expect(status == 0)
    }
}
