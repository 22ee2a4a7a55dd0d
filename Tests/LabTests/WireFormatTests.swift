import Foundation
import RunProtocol
import Testing

/// The JSON-lines protocol, in process: every command and message survives
/// the wire, and no line, however broken, does more than give an error.
struct WireFormatTests {
    @Test func everyCommandRoundTripsInItsDocumentedForm() throws {
        for command in Command.examples {
            let line = try JSONEncoder().encode(command)
            #expect(try WireError.command(line) == command)
            let object = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any])
            #expect(object["command"] as? String == command.name)
        }
        #expect(try WireError.command(Data(#"{"command":"toggle_delete","block":2}"#.utf8)) == .toggleDelete(block: 2))
        #expect(Set(Command.examples.map(\.name)).count == 20)
    }

    @Test(arguments: [
        ("not json", "not JSON: 'not json'"),
        (#"{"command":"fly"}"#, "unknown command 'fly'"),
        (#"{"block":2}"#, "missing 'command'"),
        (#"{"command":"toggle_delete"}"#, "missing 'block'"),
        (#"{"command":"toggle_delete","block":-1}"#, "block must be 0 or more"),
        (#"{"command":"scale_learning_rate","factor":-1}"#, "factor must be a positive number (got -1.0)"),
        (#"{"command":"scale_learning_rate","factor":0}"#, "factor must be a positive number (got 0.0)"),
        (#"{"command":"set_mode","block":1,"mode":"sideways"}"#, "bad command"),
        (#"[1,2]"#, "bad command"),
    ])
    func badCommandsGiveOneSentence(line: String, message: String) {
        do {
            _ = try WireError.command(Data(line.utf8))
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func engineMessagesRoundTrip() throws {
        var snapshot = Snapshot()
        snapshot.step = 7
        snapshot.blockModes = [.residual, .deleted]
        snapshot.validationLoss = .nan
        let messages: [EngineMessage] = [.hello(Hello(engine: "test", capabilities: [.paths])), .notice("hi"),
                                         .error("bad"), .ended(reason: nil), .ended(reason: "connection lost")]
        for message in messages { #expect(try EngineMessage.decode(message.encoded()) == message) }
        guard case .snapshot(let decoded) = try EngineMessage.decode(EngineMessage.snapshot(snapshot).encoded()) else {
            Issue.record("not a snapshot")
            return
        }
        #expect(decoded.step == 7 && decoded.blockModes == [.residual, .deleted] && decoded.validationLoss!.isNaN)
        #expect(throws: WireError.self) { try EngineMessage.decode(Data(#"{"kind":"weather"}"#.utf8)) }
        #expect(throws: WireError.self) { try EngineMessage.decode(Data(#"{"kind":"train","step":"seven"}"#.utf8)) }
    }

    /// Seeded mutations of valid lines, both ways: each decodes or throws `WireError`.
    @Test func mutatedLinesNeverCrash() throws {
        var rng = SystemRandomNumberGenerator()
        var snapshot = Snapshot()
        snapshot.gradientNorms = [1, 2]
        let seeds = Command.examples.map { try! JSONEncoder().encode($0) } + [EngineMessage.snapshot(snapshot).encoded(),
                                                                             EngineMessage.hello(Hello(engine: "e", capabilities: [])).encoded()]
        let alphabet = Array(#"{}[]":,-0123456789eE.tfnul\ "#.utf8)
        for _ in 0..<2000 {
            var bytes = [UInt8](seeds.randomElement(using: &rng)!)
            for _ in 0..<Int.random(in: 1...6, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[at] = alphabet.randomElement(using: &rng)!
                case 1: bytes.remove(at: at)
                case 2: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                default: bytes = Array(bytes.prefix(at))
                }
            }
            _ = try? WireError.command(Data(bytes))
            _ = try? EngineMessage.decode(Data(bytes))
        }
    }

    /// A line over the limit is skipped to its end and reported, never held whole.
    @Test func overlongLinesAreSkippedAndReported() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let writer = Thread {
            let payload = Data(repeating: 0x61, count: 300_000) + Data("\nshort\n".utf8)
            _ = payload.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
            close(writeEnd)
        }
        writer.start()
        let reader = LineReader(descriptor: readEnd, limit: 100_000)
        #expect(reader.next() == .tooLong(bytes: 300_000))
        #expect(reader.next() == .text(Data("short".utf8)))
        #expect(reader.next() == nil)
        close(readEnd)
    }

    /// A peer that streams bytes and never ends a line (an engine command
    /// such as `cat /dev/zero`) still meets the deadline of `next(within:)`:
    /// the stream goes on for two seconds, the wait gives up after 0.3.
    @Test(.timeLimit(.minutes(1)))
    func aStreamWithoutNewlinesMeetsTheDeadline() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let writer = Thread {
            // As fast as the pipe takes it, so that it is never empty.
            let zeros = [UInt8](repeating: 0, count: 64 * 1024)
            let end = Date().addingTimeInterval(2)
            while Date() < end {
                _ = zeros.withUnsafeBytes { write(writeEnd, $0.baseAddress, $0.count) }
            }
            close(writeEnd)
        }
        writer.start()
        let reader = LineReader(descriptor: readEnd, limit: 1 << 20)
        #expect(reader.next(within: 0.3) == nil)
        #expect(reader.timedOut)
        // Read to the end, so that the writer never writes into a closed pipe.
        while reader.next() != nil {}
        close(readEnd)
    }
}
