import Foundation

/// One logarithmic axis in whole decades, shared by every gradient on screen:
/// the bars of a network and of its twin, and the heatmap's colours. A bar's
/// length and colour both come from its value's place on this axis, so equal
/// values look equal wherever they are drawn.
public struct LogAxis: Equatable, Sendable {
    /// The lowest and highest decade (powers of ten).
    public let lower: Int
    public let upper: Int

    /// The decades spanning every positive, finite value: from below the
    /// smallest to above the largest, at least two decades.
    public init(values: [Float]) {
        let logs = values.filter { $0 > 0 && $0.isFinite }.map { log10(Double($0)) }
        guard let low = logs.min(), let high = logs.max() else {
            (lower, upper) = (-4, 0)
            return
        }
        // A Float power of ten is a hair off in log10; do not let that add a decade.
        lower = Int(floor(low + 1e-6))
        upper = max(Int(ceil(high - 1e-6)), lower + 2)
    }

    /// Where `value` sits, from 0 (the lowest decade) to 1 (the highest);
    /// nil for zero, negative or non-finite values.
    public func fraction(_ value: Float) -> Double? {
        guard value > 0, value.isFinite else { return nil }
        let position = (log10(Double(value)) - Double(lower)) / Double(upper - lower)
        return min(1, max(0, position))
    }

    /// The colour band of `value` among `roles`, lowest first.
    public func role(_ value: Float, among roles: [Role]) -> Role {
        guard let fraction = fraction(value) else { return roles[0] }
        return roles[min(roles.count - 1, Int(fraction * Double(roles.count)))]
    }

    /// Decade ticks for an axis `length` cells long: every decade, or every
    /// few when labels would otherwise touch. Offsets are from the axis start.
    public func ticks(length: Int) -> [(offset: Int, label: String)] {
        let span = upper - lower
        guard length > 1 else { return [] }
        let widest = (lower...upper).map { NumberFormat.decade($0).count }.max() ?? 4
        let every = [1, 2, 3, 4, 5, 10, 20, 50, 100].first { step in
            Double(step) * Double(length - 1) / Double(span) >= Double(widest + 3)
        } ?? span
        let first = Int((Double(lower) / Double(every)).rounded(.up)) * every
        return stride(from: first, through: upper, by: every).map { decade in
            ((decade - lower) * (length - 1) / span, NumberFormat.decade(decade))
        }
    }
}
