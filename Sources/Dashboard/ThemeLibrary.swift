import Foundation

/// Finds theme files: `--theme PATH`, then by name in the user's
/// `$XDG_CONFIG_HOME/reslab/themes` (or `~/.config/reslab/themes`), the current directory's `themes/`, the
/// repository's `themes/` (found from the executable's location), and
/// finally the built-in default, so that a lone binary still works.
public enum ThemeLibrary {
    /// The folders searched by name, most personal first.
    public static var directories: [URL] {
        var found: [URL] = [userDirectory]
        found.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("themes"))
        // .build/<triple>/release/reslab → the repository root is three levels up.
        var executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        for _ in 0..<4 {
            executable.deleteLastPathComponent()
            found.append(executable.appendingPathComponent("themes"))
        }
        var unique: [URL] = []
        for url in found where !unique.contains(where: { $0.standardizedFileURL == url.standardizedFileURL }) {
            unique.append(url)
        }
        return unique
    }

    /// The user's own themes: `$XDG_CONFIG_HOME/reslab/themes`, or
    /// `~/.config/reslab/themes` when that is unset or not absolute (as the
    /// XDG Base Directory specification says).
    public static var userDirectory: URL {
        let configured = ProcessInfo.processInfo.environment["XDG_CONFIG_HOME"] ?? ""
        let config = configured.hasPrefix("/") ? URL(fileURLWithPath: configured)
            : FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config")
        return config.appendingPathComponent("reslab/themes")
    }

    /// Every theme found, the built-in default first unless a file named
    /// `default` replaces it, and warnings for files that could not be used.
    public static func all() -> (themes: [Theme], warnings: [String]) {
        var themes: [String: Theme] = [:]
        var warnings: [String] = []
        for directory in directories.reversed() {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for file in files.sorted() where file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
                switch read(directory.appendingPathComponent(file)) {
                case .success(let theme): themes[theme.name] = theme
                case .failure(let warning): warnings.append(warning.description)
                }
            }
        }
        let defaultTheme = themes["default"] ?? .builtIn
        themes["default"] = nil
        return ([defaultTheme] + themes.values.sorted { $0.name < $1.name }, warnings)
    }

    /// The theme `nameOrPath` names (a file path, or a name to search for),
    /// with warnings about other theme files that could not be used. A theme
    /// asked for by name or path that cannot be found or read is an error.
    public static func load(_ nameOrPath: String?) throws(Theme.ParseError) -> (theme: Theme, warnings: [String]) {
        let (themes, warnings) = all()
        guard let nameOrPath else { return (themes[0], warnings) }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") {
            return (try read(URL(fileURLWithPath: nameOrPath)).get(), warnings)
        }
        if let theme = themes.first(where: { $0.name == nameOrPath }) { return (theme, warnings) }
        let names = themes.map(\.name).joined(separator: ", ")
        let unusable = warnings.isEmpty ? "" : " (" + warnings.joined(separator: "; ") + ")"
        throw Theme.ParseError(description: "no theme named '\(nameOrPath)' (found: \(names))\(unusable)")
    }

    /// Reads one theme file, never more than `Theme.maximumBytes` of it.
    static func read(_ url: URL) -> Result<Theme, Theme.ParseError> {
        if (try? url.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory == true {
            return .failure(Theme.ParseError(description: "\(url.path): is a directory, not a theme file"))
        }
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            return .failure(Theme.ParseError(description: "\(url.path): no such theme file, or it cannot be read"))
        }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: Theme.maximumBytes + 1),
              let text = String(data: data, encoding: .utf8) else {
            return .failure(Theme.ParseError(description: "\(url.path): cannot be read as UTF-8 text"))
        }
        do {
            var theme = try Theme.parse(text, source: url.path)
            if theme.name == url.path { theme.name = url.deletingPathExtension().lastPathComponent }
            return .success(theme)
        } catch let error as Theme.ParseError {
            return .failure(error)
        } catch {
            return .failure(Theme.ParseError(description: "\(url.path): \(error)"))
        }
    }
}
