import Foundation

/// Commands on the wire: one JSON object, its `command` field in snake case
/// and its arguments beside it, e.g. `{"command":"toggle_delete","block":2}`
/// or `{"command":"scale_learning_rate","factor":0.5}`. Blocks count from 0.
extension Command {
    enum CodingKeys: String, CodingKey {
        case command, block, mode, scope, factor, path
    }

    /// The `command` name of each case.
    public var name: String {
        switch self {
        case .pause: return "pause"
        case .resume: return "resume"
        case .step: return "step"
        case .setMode: return "set_mode"
        case .setAllModes: return "set_all_modes"
        case .toggleSkip: return "toggle_skip"
        case .toggleDelete: return "toggle_delete"
        case .toggleAllSkips: return "toggle_all_skips"
        case .setScope: return "set_scope"
        case .toggleScope: return "toggle_scope"
        case .togglePause: return "toggle_pause"
        case .evaluate: return "evaluate"
        case .scaleLearningRate: return "scale_learning_rate"
        case .reset: return "reset"
        case .lesionSweep: return "lesion_sweep"
        case .kDeletionCurve: return "k_deletion_curve"
        case .pathReport: return "path_report"
        case .cancelExperiment: return "cancel_experiment"
        case .save: return "save"
        case .quit: return "quit"
        }
    }

    /// One of each command, for documentation and tests of the wire format.
    public static let examples: [Command] = [
        .pause, .resume, .step, .setMode(block: 2, mode: .deleted), .setAllModes(.residual), .toggleSkip(block: 0),
        .toggleDelete(block: 2), .toggleAllSkips, .setScope(.train), .toggleScope, .togglePause, .evaluate,
        .scaleLearningRate(0.5), .reset, .lesionSweep, .kDeletionCurve, .pathReport, .cancelExperiment,
        .save(path: "run.safetensors"), .save(path: nil), .quit,
    ]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let name = try c.decode(String.self, forKey: .command)
        func block() throws -> Int {
            let block = try c.decode(Int.self, forKey: .block)
            guard block >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: .block, in: c, debugDescription: "block must be 0 or more")
            }
            return block
        }
        switch name {
        case "pause": self = .pause
        case "resume": self = .resume
        case "step": self = .step
        case "set_mode": self = .setMode(block: try block(), mode: try c.decode(BlockMode.self, forKey: .mode))
        case "set_all_modes": self = .setAllModes(try c.decode(BlockMode.self, forKey: .mode))
        case "toggle_skip": self = .toggleSkip(block: try block())
        case "toggle_delete": self = .toggleDelete(block: try block())
        case "toggle_all_skips": self = .toggleAllSkips
        case "set_scope": self = .setScope(try c.decode(LesionScope.self, forKey: .scope))
        case "toggle_scope": self = .toggleScope
        case "toggle_pause": self = .togglePause
        case "evaluate": self = .evaluate
        case "scale_learning_rate":
            let factor = try c.decode(Float.self, forKey: .factor)
            guard factor > 0 && factor.isFinite else {
                throw DecodingError.dataCorruptedError(forKey: .factor, in: c,
                                                       debugDescription: "factor must be a positive number (got \(factor))")
            }
            self = .scaleLearningRate(factor)
        case "reset": self = .reset
        case "lesion_sweep": self = .lesionSweep
        case "k_deletion_curve": self = .kDeletionCurve
        case "path_report": self = .pathReport
        case "cancel_experiment": self = .cancelExperiment
        case "save": self = .save(path: try c.decodeIfPresent(String.self, forKey: .path))
        case "quit": self = .quit
        default:
            throw DecodingError.dataCorruptedError(forKey: .command, in: c, debugDescription: "unknown command '\(name)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .command)
        switch self {
        case .setMode(let block, let mode):
            try c.encode(block, forKey: .block)
            try c.encode(mode, forKey: .mode)
        case .setAllModes(let mode): try c.encode(mode, forKey: .mode)
        case .toggleSkip(let block), .toggleDelete(let block): try c.encode(block, forKey: .block)
        case .setScope(let scope): try c.encode(scope, forKey: .scope)
        case .scaleLearningRate(let factor): try c.encode(factor, forKey: .factor)
        case .save(let path): try c.encodeIfPresent(path, forKey: .path)
        default: break
        }
    }
}
