import Foundation
import Yams

/// A colour from a theme: the terminal's default, or an RGB value that the
/// terminal shows as the nearest entry of its 256-colour table.
public enum ThemeColor: Equatable, Sendable {
    case terminalDefault
    case rgb(UInt8, UInt8, UInt8)

    /// Parses `#rrggbb` or `default`.
    init?(_ value: String) {
        if value == "default" { self = .terminalDefault; return }
        guard value.count == 7, value.first == "#", let number = UInt32(value.dropFirst(), radix: 16) else { return nil }
        self = .rgb(UInt8(number >> 16 & 0xFF), UInt8(number >> 8 & 0xFF), UInt8(number & 0xFF))
    }

    /// The colour a 256-colour terminal shows for it: the RGB value of its
    /// palette entry (nil for the terminal's default).
    public var displayed: (UInt8, UInt8, UInt8)? {
        let index = paletteIndex
        guard index >= 16 else { return nil }
        if index >= 232 {
            let grey = UInt8(8 + 10 * (index - 232))
            return (grey, grey, grey)
        }
        let levels: [UInt8] = [0, 95, 135, 175, 215, 255]
        let cube = index - 16
        return (levels[cube / 36], levels[cube / 6 % 6], levels[cube % 6])
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
    /// The background the theme is drawn on (the terminal's own if `default`).
    public var background: ThemeColor = .terminalDefault
    /// Use attributes only (bold, reverse, dim), never colour.
    public var monochrome: Bool

    public func color(_ role: Role) -> ThemeColor { colors[role] ?? .terminalDefault }

    /// The theme compiled into the program, so that a lone binary still works.
    public static let builtIn: Theme = {
        var theme = try! Theme.parse(builtInSource, source: "built-in")
        theme.name = "default"
        return theme
    }()

    /// The same text as `themes/default.yaml` (a test keeps them equal).
    public static let builtInSource = """
        # ResLab theme: the default, for dark terminals.
        # Every colour is "#rrggbb" (quoted: # starts a comment in YAML) or default.
        # Lists are stretched over their roles, first colour = lowest value.
        # Colours that must be told apart (series, block modes, classes, and each
        # against the background) are at least ΔE 20 apart: a test checks it.
        name: default
        background: "#000000"
        text: "#d0d0d0"
        dim: "#8a8a8a"
        frame: "#5f87af"
        title: "#ffd75f"
        accent: "#5fd7ff"
        warning: "#ff5f5f"
        # chart series (the plain twin is drawn in the colour of `plain`)
        train: "#5fafff"
        validation: "#ffd700"
        lesioned: "#ff5fd7"
        # block modes
        residual: "#5fd75f"
        plain: "#ff8700"
        deleted: "#af0000"
        selected: "#ffffff"
        # gradient bars, coloured by absolute value on the shared log axis, low to high
        bar:
          - "#5f5fd7"
          - "#00afaf"
          - "#afd75f"
          - "#ffff87"
        # gradient flow, low to high
        heatmap: ["#3a3a8a", "#005faf", "#00af87", "#afd700", "#ffaf00", "#ff0000"]
        # decision-map classes
        classes: ["#5f87ff", "#ff875f", "#87d75f", "#d75fd7", "#ffd75f", "#5fd7d7"]
        """

    /// A problem in a theme file, with where it is.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String

        public init(description: String) { self.description = description }
    }

    /// Theme files are small; anything larger is not a theme.
    static let maximumBytes = 64 * 1024
    /// Lists name a handful of colours; an alias cannot make one longer than this.
    static let maximumListLength = 16

    /// The keys naming one colour each.
    static let singleKeys: [String: Role] = [
        "text": .text, "dim": .dim, "frame": .frame, "title": .title, "accent": .accent, "warning": .warning,
        "train": .train, "validation": .validation, "lesioned": .lesioned,
        "residual": .residual, "plain": .plain, "deleted": .deleted, "selected": .selected,
    ]
    /// The keys naming a list of colours, stretched over their roles.
    static let listKeys: [String: [Role]] = ["bar": Role.bar, "heatmap": Role.heat, "classes": Role.classes]

    /// Reads a theme: a YAML mapping from keys to colours (`"#rrggbb"` or
    /// `default`) or lists of colours (block or flow lists, anchors and
    /// aliases allowed). Unknown keys and malformed colours are errors that
    /// name the source, line and key.
    public static func parse(_ text: String, source: String) throws -> Theme {
        guard text.utf8.count <= maximumBytes else {
            throw ParseError(description: "\(source): larger than \(maximumBytes / 1024) KiB; not a theme")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ParseError(description: "\(source): \(yamlProblem(error))")
        } catch {
            throw ParseError(description: "\(source): \(error)")
        }
        guard let root else { throw ParseError(description: "\(source): empty; expected `key: value` lines") }
        func fail(_ node: Node, _ problem: String) -> ParseError {
            ParseError(description: "\(source):\(node.mark?.line ?? 1): \(problem)")
        }
        guard let mapping = root.mapping else { throw fail(root, "expected `key: value` lines") }
        var theme = Theme(name: source, colors: [:], monochrome: false)
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { throw fail(keyNode, "expected a key") }
            func scalar() throws -> String {
                guard let text = value.string else { throw fail(value, "key '\(key)': expected a single value") }
                return text
            }
            func color(_ text: String) throws -> ThemeColor {
                guard let color = ThemeColor(text) else {
                    throw fail(value, "key '\(key)': '\(text)' is not a colour (\"#rrggbb\" in quotes, or default)")
                }
                return color
            }
            if key == "name" {
                // Names are printed: no control character from a file reaches the terminal.
                theme.name = String(String.UnicodeScalarView(try scalar().unicodeScalars.filter { $0.properties.generalCategory != .control }))
            } else if key == "monochrome" {
                guard let flag = value.bool else { throw fail(value, "key 'monochrome': expected true or false") }
                theme.monochrome = flag
            } else if key == "background" {
                theme.background = try color(try scalar())
            } else if let role = singleKeys[key] {
                theme.colors[role] = try color(try scalar())
            } else if let roles = listKeys[key] {
                guard let items = value.sequence, items.count >= 2, items.count <= maximumListLength else {
                    throw fail(value, "key '\(key)': expected a list of 2 to \(maximumListLength) colours")
                }
                let colors = try items.map { item in
                    guard let text = item.string else { throw fail(item, "key '\(key)': expected colours in the list") }
                    return try color(text)
                }
                for (position, role) in roles.enumerated() {
                    // Stretch the list over the roles: the first and last colours stay at the ends.
                    let at = roles.count == 1 ? 0 : position * (colors.count - 1) / (roles.count - 1)
                    theme.colors[role] = colors[min(at, colors.count - 1)]
                }
            } else {
                throw fail(keyNode, "unknown key '\(key)'")
            }
        }
        return theme
    }

    /// libyaml's complaint as one line, with the line number first.
    static func yamlProblem(_ error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return "\(mark.line): \(problem)"
        default:
            return "\(error)".split(separator: "\n").first.map(String.init) ?? "not YAML"
        }
    }
}
