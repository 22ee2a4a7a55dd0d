import Dashboard
import Foundation
import Testing
import TestSupport

struct ThemeTests {
    @Test func hexColoursMapToTheNearest256ColourEntry() {
        #expect(ThemeColor.rgb(255, 0, 0).paletteIndex == 196)
        #expect(ThemeColor.rgb(0, 0, 0).paletteIndex == 16)
        #expect(ThemeColor.rgb(0x80, 0x80, 0x80).paletteIndex == 244)
        #expect(ThemeColor.rgb(0x5f, 0xaf, 0xff).paletteIndex == 75)
        #expect(ThemeColor.terminalDefault.paletteIndex == -1)
    }

    @Test func listsStretchOverTheirRolesAndCommentsAreIgnored() throws {
        let theme = try Theme.parse("""
            # a comment
            name: test
            text: "#ffffff"   # trailing comment
            bar: ["#000000", "#ff0000"]  # flow list
            heatmap: ["#000000", "#ffffff"]
            """, source: "test.yaml")
        #expect(theme.name == "test")
        #expect(theme.color(.text) == .rgb(255, 255, 255))
        #expect(theme.color(.bar3) == .rgb(255, 0, 0))
        #expect(theme.color(.heat0) == .rgb(0, 0, 0))
        #expect(theme.color(.heat5) == .rgb(255, 255, 255))
        #expect(theme.color(.frame) == .terminalDefault)
    }

    @Test func blockListsAnchorsAndAliasesWork() throws {
        let theme = try Theme.parse("""
            name: anchored
            background: "#000000"
            train: &blue "#0000ff"
            validation: *blue
            bar:
              - "#000000"   # lowest
              - "#ffffff"
            heatmap: &ramp ["#000000", "#ff0000"]
            classes: *ramp
            """, source: "anchored.yaml")
        #expect(theme.color(.validation) == .rgb(0, 0, 255))
        #expect(theme.color(.bar0) == .rgb(0, 0, 0) && theme.color(.bar3) == .rgb(255, 255, 255))
        #expect(theme.color(.class5) == .rgb(255, 0, 0))
        #expect(theme.background == .rgb(0, 0, 0))
    }

    @Test(arguments: [
        ("text: #ffffff", "test.yaml:1: key 'text': '' is not a colour"),
        ("name: x\nframe: \"#12345\"", "test.yaml:2: key 'frame': '#12345' is not a colour"),
        ("name: x\n\ncolour: \"#ffffff\"", "test.yaml:3: unknown key 'colour'"),
        ("bar: \"#ffffff\"", "test.yaml:1: key 'bar': expected a list of 2 to 16 colours"),
        ("bar: [[\"#ffffff\"], \"#000000\"]", "test.yaml:1: key 'bar': expected colours in the list"),
        ("just words", "test.yaml:1: expected `key: value` lines"),
        ("text: [unclosed", "test.yaml: 2: did not find expected"),
        ("train: *nowhere", "test.yaml: 1: found undefined alias"),
        ("", "test.yaml: empty"),
    ])
    func invalidFilesNameTheFileLineAndKey(text: String, message: String) {
        do {
            _ = try Theme.parse(text, source: "test.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".hasPrefix(message), "\(error)")
        }
    }

    /// A billion-laughs file: each anchor doubles the last. Lists are capped
    /// and must hold colours, so it is refused without expanding anything.
    @Test func aliasBombsAndHugeFilesAreRefused() {
        var bomb = "a: &a [\"#000000\", \"#000000\"]\n"
        for level in 1..<30 { bomb += "l\(level): &l\(level) [*\(level == 1 ? "a" : "l\(level - 1)"), *\(level == 1 ? "a" : "l\(level - 1)")]\n" }
        bomb += "bar: *l29\n"
        #expect(throws: Theme.ParseError.self) { try Theme.parse(bomb, source: "bomb.yaml") }
        let huge = "name: x\n" + String(repeating: "# padding\n", count: 10_000)
        #expect(throws: Theme.ParseError(description: "huge.yaml: larger than 64 KiB; not a theme")) {
            try Theme.parse(huge, source: "huge.yaml")
        }
    }

    /// Fuzz: random bytes and mutated theme files give a theme or a
    /// `ParseError`, never a crash.
    /// Seeded mutations of the built-in theme (see `Fuzzer`).
    @Test func mutatedThemesNeverCrash() throws {
        let seeds = [Array(Theme.builtInSource.utf8)] + (try Self.shippedThemes()).map { file, _ in
            Array((try? String(contentsOf: Self.themesDirectory.appendingPathComponent(file), encoding: .utf8))?.utf8 ?? "".utf8)
        }
        let outcome = Fuzzer.run(seed: 8, seeds: seeds, isTyped: { $0 is Theme.ParseError }) { input in
            _ = try Theme.parse(String(decoding: input, as: UTF8.self), source: "fuzz.yaml")
        }
        #expect(outcome.accepted > 0 && outcome.refused > 0)
    }

    static let themesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("themes")

    static func shippedThemes() throws -> [(file: String, theme: Theme)] {
        let files = try FileManager.default.contentsOfDirectory(atPath: themesDirectory.path).filter { $0.hasSuffix(".yaml") }.sorted()
        return try files.map { file in
            (file, try Theme.parse(try String(contentsOf: themesDirectory.appendingPathComponent(file), encoding: .utf8), source: file))
        }
    }

    @Test func everyShippedThemeParses() throws {
        let themes = try Self.shippedThemes()
        #expect(Set(themes.map(\.file)).isSuperset(of: ["default.yaml", "light.yaml", "high-contrast.yaml", "monochrome.yaml"]))
        for (file, theme) in themes {
            #expect(theme.monochrome || Role.allCases.allSatisfy { theme.color($0) != .terminalDefault }, "\(file) leaves a role unset")
        }
    }

    @Test func theBuiltInThemeIsTheDefaultFile() throws {
        let file = try String(contentsOf: Self.themesDirectory.appendingPathComponent("default.yaml"), encoding: .utf8)
        #expect(file.trimmingCharacters(in: .newlines) == Theme.builtInSource)
    }

    /// Every colour a reader must tell apart is at least ΔE₀₀ 20 from the
    /// others of its kind and from the background, as the 256-colour
    /// terminal shows them: the series and block modes (the plain twin is
    /// drawn in the colour of `plain`), the classes, and against the
    /// background also the text, the bars and the heatmap.
    @Test func everyColourThemeKeepsItsColoursApart() throws {
        let seriesAndModes: [Role] = [.train, .validation, .lesioned, .residual, .plain, .deleted]
        for (file, theme) in try Self.shippedThemes() where !theme.monochrome {
            guard let background = theme.background.displayed else {
                Issue.record("\(file) names no background")
                continue
            }
            func shown(_ role: Role) -> (UInt8, UInt8, UInt8) { theme.color(role).displayed ?? background }
            for group in [seriesAndModes, Role.classes] {
                for (i, a) in group.enumerated() {
                    for b in group[(i + 1)...] {
                        let difference = ColorDifference.ciede2000(shown(a), shown(b))
                        #expect(difference >= 20, "\(file): \(a) and \(b) are ΔE \(difference)")
                    }
                }
            }
            let seen = seriesAndModes + Role.classes + Role.bar + Role.heat + [.text, .dim, .title, .accent, .warning, .frame, .selected]
            for role in seen {
                let difference = ColorDifference.ciede2000(shown(role), background)
                #expect(difference >= 20, "\(file): \(role) is ΔE \(difference) from the background")
            }
        }
    }

    @Test func ciede2000MatchesSharmasTestData() {
        // Pairs 1, 7 and 17 of Sharma, Wu and Dalal (2005), Table 1.
        let pairs: [((Double, Double, Double), (Double, Double, Double), Double)] = [
            ((50, 2.6772, -79.7751), (50, 0, -82.7485), 2.0425),
            ((50, 0, 0), (50, -1, 2), 2.3669),
            ((50, 2.5, 0), (73, 25, -18), 27.1492),
        ]
        for (p, q, expected) in pairs {
            #expect(abs(ColorDifference.ciede2000(lab: p, lab: q) - expected) < 1e-4)
        }
        #expect(ColorDifference.ciede2000((255, 0, 0), (255, 0, 0)) == 0)
    }

    @Test func anExplicitThemeThatCannotBeUsedIsAnError() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("bad.yaml")
            try "name: bad\ntitle: yellow\n".write(to: url, atomically: true, encoding: .utf8)
            #expect(throws: Theme.ParseError.self) { try ThemeLibrary.load(url.path) }
            do {
                _ = try ThemeLibrary.load(url.path)
            } catch {
                #expect("\(error)".contains("\(url.path):2: key 'title'"))
            }
            #expect(throws: Theme.ParseError.self) { try ThemeLibrary.load("no-such-theme") }
            #expect(throws: Theme.ParseError.self) { try ThemeLibrary.load(directory.appendingPathComponent("missing.yaml").path) }
            let folder = directory.appendingPathComponent("folder.yaml")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
            #expect(throws: Theme.ParseError(description: "\(folder.path): is a directory, not a theme file")) {
                try ThemeLibrary.load(folder.path)
            }
        }
    }
}
