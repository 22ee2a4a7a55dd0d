import Foundation

/// Turns snapshots into the lines `reslab train` prints: compact text for
/// people, or one JSON object per line for programs.
public struct ProgressFormatter {
    public let json: Bool
    private var lastEventID = 0
    /// The last status line printed, so that an unchanged one is not printed again.
    private var lastStatus = ""
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    public init(json: Bool) { self.json = json }

    /// The lines for one snapshot; events already shown are left out.
    public mutating func lines(for snapshot: Snapshot) -> [String] {
        var fresh = snapshot
        fresh.events = snapshot.events.filter { $0.id > lastEventID }
        lastEventID = snapshot.events.last?.id ?? lastEventID
        if json {
            let data = (try? encoder.encode(fresh)) ?? Data("{}".utf8)
            return [String(decoding: data, as: UTF8.self)]
        }
        let prefix = snapshot.run.map { "[\($0)] " } ?? ""
        let status = text(snapshot)
        defer { lastStatus = status }
        return (fresh.events.map { "· \($0.message)" } + (status == lastStatus ? [] : [status])).map { prefix + $0 }
    }

    /// `step  400/2000  epoch 21.3  loss 0.412  acc 91.2 %  val 0.392 92.0 %  lr 0.0812  41.2k samples/s`
    public func text(_ s: Snapshot) -> String {
        let width = String(s.totalSteps).count
        var parts = [String(format: "step %\(width)d/%d", s.step, s.totalSteps), String(format: "epoch %5.1f", s.epoch)]
        if let loss = s.trainLoss, let acc = s.trainAccuracy {
            parts.append(String(format: "loss %.4f  acc %5.1f %%", loss, 100 * acc))
        }
        if let loss = s.validationLoss, let acc = s.validationAccuracy {
            parts.append(String(format: "val %.4f %5.1f %%", loss, 100 * acc))
        }
        if let lesioned = s.lesionedValidationAccuracy {
            parts.append(String(format: "lesioned %5.1f %%", 100 * lesioned))
        }
        if let loss = s.testLoss, let acc = s.testAccuracy {
            parts.append(String(format: "test %.4f %5.1f %%", loss, 100 * acc))
        }
        parts.append(String(format: "lr %.4g", s.learningRate))
        if s.samplesPerSecond > 0 { parts.append("\(Self.rate(s.samplesPerSecond)) samples/s") }
        return parts.joined(separator: "  ")
    }

    /// 41 234 → "41.2k".
    public static func rate(_ value: Double) -> String {
        value >= 1e6 ? String(format: "%.2fM", value / 1e6)
            : value >= 1e3 ? String(format: "%.1fk", value / 1e3) : String(format: "%.0f", value)
    }
}
