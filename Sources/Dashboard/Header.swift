import Foundation
import RunProtocol

/// The top line: what runs, where it is, and the lesion scope. When the
/// line is too short, whole fields drop, least important first; only the
/// state, the last field left, is ever cut (with "…"), so the line never
/// goes blank.
enum Header {
    /// A header field and its importance (lower is kept longer).
    struct Field {
        let text: String
        let priority: Int
    }

    /// `lost`: why the engine went away, if it did; it replaces the state.
    static func fields(_ s: Snapshot, lost: String? = nil) -> [Field] {
        let counts = Dictionary(grouping: s.blockModes, by: { $0 }).mapValues(\.count)
        let modes = BlockMode.allCases.compactMap { mode in counts[mode].map { GradientBars.glyph(mode).0 + "\($0)" } }
            .joined(separator: " ")
        let state: String
        switch s.state {
        case .training: state = "▶ training"
        case .paused: state = "⏸ paused"
        case .evaluating: state = s.experiment.map { "… \($0.name) \($0.done)/\($0.total)" } ?? "… evaluating"
        case .diverged: state = "✕ diverged"
        case .finished: state = "■ finished"
        }
        let shownState = lost.map { "✕ " + $0 } ?? state
        let norm = s.norm.isEmpty ? "" : (s.norm == "none" ? "no norm" : "\(s.norm) norm")
        return [
            Field(text: "reslab", priority: 9),
            Field(text: shownState, priority: 0),
            Field(text: s.title, priority: 3),
            Field(text: [s.activation, norm].filter { !$0.isEmpty }.joined(separator: " · "), priority: 2),
            Field(text: modes, priority: 5),
            Field(text: s.totalSteps > 0 ? "step \(s.step)/\(s.totalSteps)" : "step \(s.step)", priority: 1),
            Field(text: "epoch " + NumberFormat.compact(s.epoch), priority: 7),
            Field(text: "\(ProgressFormatter.rate(s.samplesPerSecond)) samples/s", priority: 8),
            Field(text: "lr " + NumberFormat.compact(Double(s.learningRate)), priority: 6),
        ].filter { !$0.text.isEmpty }
    }

    /// The fields that fit in `width` columns, in their order.
    static func fitting(_ fields: [Field], width: Int) -> String {
        var kept = fields
        func line() -> String { " " + kept.map(\.text).joined(separator: " · ") }
        while line().count > width, kept.count > 1,
              let drop = kept.indices.max(by: { kept[$0].priority < kept[$1].priority }) {
            kept.remove(at: drop)
        }
        let whole = line()
        return whole.count <= width ? whole : String(whole.prefix(max(width - 1, 0))) + "…"
    }

    static func draw(_ s: Snapshot, lost: String?, into canvas: inout Canvas) {
        let scope = s.scope == .eval ? " scope: eval only " : " scope: TRAIN + eval "
        canvas.fill(Rect(x: 0, y: 0, width: canvas.width, height: 1), style: CellStyle(.title, reverse: true))
        canvas.put(fitting(fields(s, lost: lost), width: canvas.width - scope.count - 1), x: 0, y: 0,
                   style: CellStyle(.title, bold: true, reverse: true))
        canvas.put(scope, x: canvas.width - scope.count, y: 0, style: CellStyle(s.scope == .eval ? .accent : .warning, bold: true, reverse: true))
    }
}
