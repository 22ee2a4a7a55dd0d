import Foundation

/// Where an axis puts its ticks, and how it labels them.
struct AxisTicks {
    /// The axis's range, widened to whole ticks.
    let range: ClosedRange<Double>
    let values: [Double]
    let labels: [String]

    /// Round ticks (1, 2 or 5 times a power of ten) covering `data`.
    static func linear(_ data: ClosedRange<Double>, fixed: Bool = false) -> AxisTicks {
        let span = max(data.upperBound - data.lowerBound, abs(data.upperBound) * 1e-6, 1e-12)
        let raw = span / 5
        let power = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        let low = fixed ? data.lowerBound : floor(data.lowerBound / step) * step
        let high = fixed ? data.upperBound : ceil(data.upperBound / step) * step
        let values = stride(from: ceil(low / step - 1e-9) * step, through: high + step * 1e-9, by: step).map { $0 }
        return AxisTicks(range: low...max(high, low + step), values: values, labels: values.map { label($0, step: step) })
    }

    /// A tick per decade (or per few decades when they are many) covering
    /// the positive `data`.
    static func log(_ data: ClosedRange<Double>) -> AxisTicks {
        let low = floor(log10(max(data.lowerBound, 1e-300)))
        let high = max(ceil(log10(max(data.upperBound, 1e-300))), low + 1)
        let every = max(1, Int(ceil((high - low) / 7)))
        let decades = stride(from: Int(low), through: Int(high), by: every).map { $0 }
        return AxisTicks(range: pow(10, low)...pow(10, high), values: decades.map { pow(10, Double($0)) },
                         labels: decades.map(decadeLabel))
    }

    /// `0.5`, `20`, `1.5e+04`: as short as the step allows.
    static func label(_ value: Double, step: Double) -> String {
        if abs(value) < step * 1e-6 { return "0" }
        let decimals = max(0, -Int(floor(log10(step))))
        if abs(value) >= 1e5 || decimals > 4 { return String(format: "%.1e", value) }
        return String(format: "%.\(decimals)f", value)
    }

    /// `1`, `10`, `0.01`, `1e-5`, `1e6`.
    static func decadeLabel(_ exponent: Int) -> String {
        switch exponent {
        case 0...4: return String(Int(pow(10, Double(exponent))))
        case -3..<0: return String(format: "%.\(-exponent)f", pow(10, Double(exponent)))
        default: return "1e\(exponent)"
        }
    }
}
