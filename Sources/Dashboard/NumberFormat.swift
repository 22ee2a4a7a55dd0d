import Foundation

/// Numbers as the screen prints them: short, and always whole.
enum NumberFormat {
    /// At most 7 characters: `138`, `7.96`, `0.59`, `2.5e-3`, `1.7e3`.
    static func compact(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        let magnitude = abs(value)
        if magnitude == 0 { return "0" }
        if magnitude >= 100 && magnitude < 10_000 { return String(format: "%.0f", value) }
        if magnitude >= 1 && magnitude < 100 { return trimmed(String(format: "%.3g", value)) }
        if magnitude >= 0.01 && magnitude < 1 { return trimmed(String(format: "%.2g", value)) }
        return scientific(value, digits: 1)
    }

    /// `%.{digits}e` with the exponent's `+` and leading zeros dropped:
    /// 3.5e-01 → `3.5e-1`, 1.10e-16 → `1.1e-16`.
    static func scientific(_ value: Double, digits: Int = 1) -> String {
        let text = String(format: "%.\(digits)e", value)
        guard let e = text.firstIndex(of: "e") else { return text }
        let mantissa = text[..<e]
        var exponent = text[text.index(after: e)...]
        let negative = exponent.first == "-"
        exponent = exponent.drop { $0 == "+" || $0 == "-" }
        let digits = exponent.drop { $0 == "0" }
        return mantissa + "e" + (negative ? "-" : "") + (digits.isEmpty ? "0" : digits)
    }

    /// A power of ten: `1`, `10`, `100`, `0.1`, `0.01`, else `1e-3`, `1e5`.
    static func decade(_ exponent: Int) -> String {
        switch exponent {
        case 0...2: return String(Int(pow(10, Double(exponent))))
        case -2 ... -1: return exponent == -1 ? "0.1" : "0.01"
        default: return "1e\(exponent)"
        }
    }

    /// A `%g` number without trailing zeros after its point.
    private static func trimmed(_ text: String) -> String {
        guard text.contains("."), !text.contains("e") else { return text }
        var result = text
        while result.hasSuffix("0") { result.removeLast() }
        if result.hasSuffix(".") { result.removeLast() }
        return result
    }
}
