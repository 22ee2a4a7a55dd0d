import ArgumentParser
import Dashboard
import Foundation

/// `reslab themes`: the themes found, each with a sample line in its colours.
struct ThemesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "themes",
        abstract: "List the themes found, with a sample line in each one's colours.")

    func run() throws {
        let (themes, warnings) = ThemeLibrary.all()
        for warning in warnings { printWarning(warning) }
        let colour = isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        print("Themes are searched in: " + ThemeLibrary.directories.map(\.path).joined(separator: ", "))
        for theme in themes {
            let sample: [(String, Role)] = [("━ train", .train), ("━ val", .validation), ("━ lesioned", .lesioned),
                                            ("● residual", .residual), ("○ plain", .plain), ("✕ deleted", .deleted),
                                            ("▁▂▃▄▅▆", .bar3)]
            let line = sample.map { text, role in
                guard colour, !theme.monochrome else { return text }
                let index = theme.color(role).paletteIndex
                return index < 0 ? text : "\u{1B}[38;5;\(index)m\(text)\u{1B}[0m"
            }.joined(separator: "  ")
            print(theme.name.padding(toLength: 15, withPad: " ", startingAt: 0) + line)
        }
    }
}
