import Foundation

/// The version of the JSON-lines protocol this build speaks.
public let protocolVersion = 1

/// The first line an engine writes: who it is, which protocol, what it can do.
public struct Hello: Codable, Sendable, Equatable {
    public var kind = "hello"
    public var `protocol`: Int
    /// The engine's name and version, for people: `reslab 1`, `reslab-torch 0.1`.
    public var engine: String
    public var capabilities: [Capability]

    public init(protocol: Int = protocolVersion, engine: String, capabilities: [Capability]) {
        self.protocol = `protocol`
        self.engine = engine
        self.capabilities = capabilities
    }
}

/// One line from an engine to a front end. Every line is a JSON object with
/// a `kind`: `hello` (first, once), `train` (a snapshot, as `reslab train
/// --json` prints it), `notice` (a message of the run's own), `error` (a
/// line the engine could not take), `ended` (the run is over).
public enum EngineMessage: Sendable, Equatable {
    case hello(Hello)
    case snapshot(Snapshot)
    case notice(String)
    case error(String)
    case ended(reason: String?)

    private struct Tagged: Codable {
        var kind: String
        var message: String?
        var reason: String?
    }

    /// The message as one line of JSON, without the newline.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data: Data?
        switch self {
        case .hello(let hello): data = try? encoder.encode(hello)
        case .snapshot(let snapshot): data = try? encoder.encode(snapshot)
        case .notice(let message): data = try? encoder.encode(Tagged(kind: "notice", message: message))
        case .error(let message): data = try? encoder.encode(Tagged(kind: "error", message: message))
        case .ended(let reason): data = try? encoder.encode(Tagged(kind: "ended", reason: reason))
        }
        return data ?? Data(#"{"kind":"error","message":"could not encode a message"}"#.utf8)
    }

    /// Reads one line; throws `WireError` with a sentence for people.
    public static func decode(_ line: Data) throws(WireError) -> EngineMessage {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard let tagged = try? decoder.decode(Tagged.self, from: line) else {
            throw WireError("not a JSON object with a \"kind\": \(WireError.excerpt(line))")
        }
        do {
            switch tagged.kind {
            case "hello": return .hello(try decoder.decode(Hello.self, from: line))
            case "train": return .snapshot(try decoder.decode(Snapshot.self, from: line))
            case "notice": return .notice(tagged.message ?? "")
            case "error": return .error(tagged.message ?? "")
            case "ended": return .ended(reason: tagged.reason)
            default: throw WireError("unknown message kind '\(tagged.kind)'")
            }
        } catch let error as WireError {
            throw error
        } catch {
            throw WireError("a '\(tagged.kind)' message that does not fit the protocol: \(WireError.describe(error))")
        }
    }
}

/// A command line the engine could not take, or an engine line the front
/// end could not read: one sentence, never a crash.
public struct WireError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// The start of a bad line, printable.
    static func excerpt(_ line: Data) -> String {
        let text = String(decoding: line.prefix(60), as: UTF8.self).filter { !$0.isASCII || ($0.asciiValue! >= 32 && $0.asciiValue! < 127) }
        return "'" + text + (line.count > 60 ? "…'" : "'")
    }

    /// A decoding error as one short sentence.
    static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?: return context.debugDescription
        case .keyNotFound(let key, _)?: return "missing '\(key.stringValue)'"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: return "\(error)"
        }
    }

    /// Reads one command line.
    public static func command(_ line: Data) throws(WireError) -> Command {
        do {
            return try JSONDecoder().decode(Command.self, from: line)
        } catch {
            if let decoding = error as? DecodingError, case .dataCorrupted(let context) = decoding, context.codingPath.isEmpty {
                throw WireError("not JSON: \(excerpt(line))")
            }
            throw WireError("bad command \(excerpt(line)): \(describe(error))")
        }
    }
}
