import Foundation

/// A colour from a theme: the terminal's default, or an RGB value that the
/// terminal shows as the nearest entry of its 256-colour table.
public enum ThemeColor: Equatable, Sendable {
    case terminalDefault
    case rgb(UInt8, UInt8, UInt8)

    /// Parses `#rrggbb` or `default`.
    init?(_ text: String) {
        let value = text.trimmingCharacters(in: CharacterSet(charactersIn: "\"' "))
        if value == "default" { self = .terminalDefault; return }
        guard value.count == 7, value.first == "#", let number = UInt32(value.dropFirst(), radix: 16) else { return nil }
        self = .rgb(UInt8(number >> 16 & 0xFF), UInt8(number >> 8 & 0xFF), UInt8(number & 0xFF))
    }

    /// The nearest xterm 256-colour index (the 6×6×6 cube or the grey ramp),
    /// or -1 for the terminal's default.
    public var paletteIndex: Int {
        guard case .rgb(let r, let g, let b) = self else { return -1 }
        let levels = [0, 95, 135, 175, 215, 255]
        func nearestLevel(_ v: UInt8) -> Int { levels.indices.min { abs(levels[$0] - Int(v)) < abs(levels[$1] - Int(v)) }! }
        let (ri, gi, bi) = (nearestLevel(r), nearestLevel(g), nearestLevel(b))
        let cube = 16 + 36 * ri + 6 * gi + bi
        let cubeError = [(Int(r), levels[ri]), (Int(g), levels[gi]), (Int(b), levels[bi])].reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let grey = (Int(r) + Int(g) + Int(b)) / 3
        let step = max(0, min(23, (grey - 8 + 5) / 10))
        let greyValue = 8 + 10 * step
        let greyError = [Int(r), Int(g), Int(b)].reduce(0) { $0 + ($1 - greyValue) * ($1 - greyValue) }
        return greyError < cubeError ? 232 + step : cube
    }
}

/// Colours for every role, read from a small YAML file in `themes/`.
public struct Theme: Equatable, Sendable {
    public var name: String
    public var colors: [Role: ThemeColor]
    /// Use attributes only (bold, reverse, dim), never colour.
    public var monochrome: Bool

    public func color(_ role: Role) -> ThemeColor { colors[role] ?? .terminalDefault }

    /// The theme compiled into the program, so that a lone binary still works.
    public static let builtIn: Theme = {
        var theme = try! Theme.parse(builtInText, source: "built-in")
        theme.name = "default"
        return theme
    }()

    static let builtInText = """
        name: default
        text: "#d0d0d0"
        dim: "#808080"
        frame: "#5f87af"
        title: "#ffd75f"
        accent: "#5fd7ff"
        warning: "#ff5f5f"
        train: "#5fafff"
        validation: "#ffaf5f"
        lesioned: "#ff5faf"
        residual: "#87d787"
        plain: "#ffaf00"
        deleted: "#ff5f5f"
        selected: "#ffffff"
        bar: ["#5f5fff", "#ff5f5f"]
        heatmap: ["#00005f", "#005faf", "#00af87", "#afd700", "#ffaf00", "#ff0000"]
        classes: ["#5f87ff", "#ff875f", "#87d75f", "#d75fd7", "#ffd75f", "#5fd7d7"]
        """

    /// A problem in a theme file, with where it is.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Reads the `key: value` lines of a theme. Lists (`[a, b]`) give
    /// gradients. Unknown keys and malformed colours are errors that name the
    /// source, line and key.
    public static func parse(_ text: String, source: String) throws -> Theme {
        var theme = Theme(name: source, colors: [:], monochrome: false)
        let single: [String: Role] = [
            "text": .text, "dim": .dim, "frame": .frame, "title": .title, "accent": .accent, "warning": .warning,
            "train": .train, "validation": .validation, "lesioned": .lesioned,
            "residual": .residual, "plain": .plain, "deleted": .deleted, "selected": .selected,
        ]
        let lists: [String: [Role]] = ["bar": [.barLow, .barHigh], "heatmap": Role.heat, "classes": Role.classes]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = withoutComment(String(raw)).trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            func fail(_ problem: String) -> ParseError { ParseError(description: "\(source):\(index + 1): \(problem)") }
            guard let colon = trimmed.firstIndex(of: ":") else { throw fail("expected `key: value`") }
            let key = trimmed[..<colon].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if key == "name" {
                theme.name = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            } else if key == "monochrome" {
                guard value == "true" || value == "false" else { throw fail("key 'monochrome': expected true or false") }
                theme.monochrome = value == "true"
            } else if let role = single[key] {
                guard let color = ThemeColor(value) else { throw fail("key '\(key)': '\(value)' is not a colour (#rrggbb or default)") }
                theme.colors[role] = color
            } else if let roles = lists[key] {
                guard value.hasPrefix("["), value.hasSuffix("]") else { throw fail("key '\(key)': expected a list [#rrggbb, …]") }
                let items = value.dropFirst().dropLast().split(separator: ",").map { String($0) }
                let colors = items.compactMap { ThemeColor($0) }
                guard colors.count == items.count, colors.count >= 2 else {
                    throw fail("key '\(key)': expected at least two colours #rrggbb")
                }
                for (position, role) in roles.enumerated() {
                    // Stretch the list over the roles: the first and last colours stay at the ends.
                    let at = roles.count == 1 ? 0 : position * (colors.count - 1) / (roles.count - 1)
                    theme.colors[role] = colors[min(at, colors.count - 1)]
                }
            } else {
                throw fail("unknown key '\(key)'")
            }
        }
        return theme
    }

    /// The line without a YAML comment: a `#` outside quotes, at the start
    /// or after white space. (So colours must be quoted, as in YAML.)
    static func withoutComment(_ line: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (offset, character) in line.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" && previous.isWhitespace {
                return String(line.prefix(offset))
            }
            previous = character
        }
        return line
    }
}
