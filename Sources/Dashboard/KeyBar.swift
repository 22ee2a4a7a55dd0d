import RunProtocol

/// The bottom line: the keys, as many as fit, with `? help` and `q quit`
/// always kept at its right end.
enum KeyBar {
    static let keys = [("space", "pause"), ("↑↓", "block"), ("s", "skip"), ("d", "delete"), ("a", "all skips"),
                       ("r", "restore"), ("m", "scope"), ("L K P", "lesions·paths"), ("tab", "panel"),
                       ("p", "projector"), ("PgUp", "log")]
    static let kept = [("?", "help"), ("q", "quit")]

    /// The experiment keys the engine can serve: `L K P`, or fewer.
    static func experimentKeys(_ capabilities: Set<Capability>) -> String {
        [("L", Capability.lesionSweep), ("K", .kDeletions), ("P", .paths)]
            .filter { capabilities.contains($0.1) }.map(\.0).joined(separator: " ")
    }

    /// The keys, with only the experiments in `capabilities`.
    static func draw(into canvas: inout Canvas, y: Int, capabilities: Set<Capability>) {
        func width(_ entries: [(String, String)]) -> Int { entries.reduce(0) { $0 + $1.0.count + $1.1.count + 3 } }
        var x = 1
        let end = canvas.width - width(kept)
        let experiments = experimentKeys(capabilities)
        let shown = keys.compactMap { key, meaning in
            key != "L K P" ? (key, meaning) : experiments.isEmpty ? nil : (experiments, experiments.count > 1 ? "lesions·paths" : meaning)
        }
        for (key, meaning) in shown where x + key.count + meaning.count + 3 <= end {
            put(key, meaning, at: &x, y: y, into: &canvas)
        }
        x = end
        for (key, meaning) in kept { put(key, meaning, at: &x, y: y, into: &canvas) }
    }

    static func put(_ key: String, _ meaning: String, at x: inout Int, y: Int, into canvas: inout Canvas) {
        canvas.put(key, x: x, y: y, style: CellStyle(.accent, bold: true))
        canvas.put(meaning, x: x + key.count + 1, y: y, style: CellStyle(.dim))
        x += key.count + meaning.count + 3
    }
}
