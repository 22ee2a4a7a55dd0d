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
            bar: ["#000000", "#ff0000"]
            heatmap: ["#000000", "#ffffff"]
            """, source: "test.yaml")
        #expect(theme.name == "test")
        #expect(theme.color(.text) == .rgb(255, 255, 255))
        #expect(theme.color(.barHigh) == .rgb(255, 0, 0))
        #expect(theme.color(.heat0) == .rgb(0, 0, 0))
        #expect(theme.color(.heat5) == .rgb(255, 255, 255))
        #expect(theme.color(.frame) == .terminalDefault)
    }

    @Test(arguments: [
        ("text: #ffffff", "test.yaml:1: key 'text': '' is not a colour"),
        ("name: x\nframe: \"#12345\"", "test.yaml:2: key 'frame': '\"#12345\"' is not a colour"),
        ("colour: \"#ffffff\"", "test.yaml:1: unknown key 'colour'"),
        ("bar: \"#ffffff\"", "test.yaml:1: key 'bar': expected a list"),
        ("just words", "test.yaml:1: expected `key: value`"),
    ])
    func invalidLinesNameTheFileLineAndKey(text: String, message: String) {
        do {
            _ = try Theme.parse(text, source: "test.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".hasPrefix(message), "\(error)")
        }
    }

    @Test func everyShippedThemeParses() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("themes")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(Set(files).isSuperset(of: ["default.yaml", "light.yaml", "high-contrast.yaml", "monochrome.yaml"]))
        for file in files {
            let theme = try Theme.parse(try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8), source: file)
            #expect(theme.monochrome || Role.allCases.allSatisfy { theme.color($0) != .terminalDefault }, "\(file) leaves a role unset")
        }
    }

    @Test func invalidThemeFileFallsBackToTheDefaultWithOneWarning() throws {
        try withTemporaryDirectory { directory in
            let url = directory.appendingPathComponent("bad.yaml")
            try "name: bad\ntitle: yellow\n".write(to: url, atomically: true, encoding: .utf8)
            let (theme, warnings) = ThemeLibrary.load(url.path)
            #expect(theme.name == "default")
            #expect(warnings.count == 1)
            #expect(warnings[0].contains("\(url.path):2: key 'title'"))
        }
    }
}
