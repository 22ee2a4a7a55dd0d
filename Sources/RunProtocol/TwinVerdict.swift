import Foundation

/// The comparison at the end of a twin run, for the dashboard's banner and
/// the last lines of `reslab train`: both test accuracies against chance, and
/// how much of the gradient reaches each net's first block.
public struct TwinVerdict: Sendable, Equatable {
    public let residualAccuracy: Float
    public let plainAccuracy: Float
    /// 1 / classes.
    public let chance: Float
    /// ‖∂L/∂W‖ of the first block over that of the last, per net (nil if unmeasured).
    public let residualGradientRatio: Float?
    public let plainGradientRatio: Float?

    /// The verdict of two finished runs, or nil while either lacks a test accuracy.
    public init?(residual: Snapshot, plain: Snapshot) {
        guard let residualAccuracy = residual.testAccuracy, let plainAccuracy = plain.testAccuracy else { return nil }
        self.residualAccuracy = residualAccuracy
        self.plainAccuracy = plainAccuracy
        chance = 1 / Float(max(residual.classes, 1))
        residualGradientRatio = Self.firstOverLast(residual.gradientNorms)
        plainGradientRatio = Self.firstOverLast(plain.gradientNorms)
    }

    static func firstOverLast(_ norms: [Float]) -> Float? {
        guard let first = norms.first, let last = norms.last, last > 0, first.isFinite, last.isFinite else { return nil }
        return first / last
    }

    /// Whether the plain twin ended within 5 points of chance.
    public var plainAtChance: Bool { plainAccuracy < chance + 0.05 }

    /// The verdict as short fields, each whole, to be joined or wrapped.
    public var fields: [String] {
        var fields = [String(format: "test accuracy: residual %.1f %%", 100 * residualAccuracy),
                      String(format: "plain twin %.1f %%", 100 * plainAccuracy),
                      String(format: "chance %.1f %%", 100 * chance)]
        if let residualGradientRatio, let plainGradientRatio {
            fields.append("first/last block ‖∂L/∂W‖: residual \(Self.scientific(residualGradientRatio))")
            fields.append("plain twin \(Self.scientific(plainGradientRatio))")
        }
        return fields
    }

    /// One line: the fields joined with ` · `.
    public var line: String { fields.joined(separator: " · ") }

    /// 0.85 → "0.85", 1.1e-16 → "1.1e-16".
    static func scientific(_ value: Float) -> String {
        value >= 0.01 && value < 1000 ? String(format: "%.2g", value) : String(format: "%.1e", value)
            .replacingOccurrences(of: "e-0", with: "e-").replacingOccurrences(of: "e+0", with: "e").replacingOccurrences(of: "e+", with: "e")
    }
}
