import Dashboard
import RunProtocol
import Testing

/// The screen in a locale that is not UTF-8: every glyph has a one-cell
/// ASCII stand-in, and the stand-ins keep what the glyphs showed.
struct AsciiFallbackTests {
    /// Every character of every lesson's screen, in colour and monochrome,
    /// on every panel, with the help and in projector mode, has a stand-in:
    /// none is drawn as `?`.
    @Test(arguments: ScreenFixtures.names)
    func everyGlyphOnEveryScreenHasAStandIn(name: String) {
        var missing: Set<Character> = []
        for (width, height) in [(80, 24), (200, 60)] {
            for colour in [true, false] {
                for tab in Tab.allCases {
                    for (projector, help) in [(false, false), (true, false), (false, true)] {
                        var model = ScreenFixtures.model(name)
                        (model.colour, model.tab, model.projector, model.showHelp) = (colour, tab, projector, help)
                        for line in Screen.render(&model, width: width, height: height).lines {
                            missing.formUnion(line.filter { !AsciiFallback.covers($0) })
                        }
                    }
                }
            }
        }
        #expect(missing.isEmpty, "\(name): no stand-in for \(missing.sorted())")
    }

    @Test func asciiPassesThroughAndEveryStandInIsOneAsciiCharacter() {
        for scalar in 0x20...0x7E {
            let character = Character(Unicode.Scalar(UInt8(scalar)))
            #expect(AsciiFallback.character(character) == character)
        }
        // Box drawing, blocks, shapes and braille: whatever the table says, one ASCII character.
        for value in 0x2500...0x28FF {
            let stand = AsciiFallback.character(Character(Unicode.Scalar(UInt32(value))!))
            #expect(stand.isASCII)
        }
        #expect(AsciiFallback.character("┌") == "+" && AsciiFallback.character("│") == "|")
        #expect(AsciiFallback.character("█") == "#" && AsciiFallback.character("▸") == ">")
        #expect(AsciiFallback.character("é") == "?")
    }

    /// A braille cell becomes the half of the cell its dots fill.
    @Test func brailleBecomesTheHalfItsDotsFill() {
        #expect(AsciiFallback.character("⠀") == " ")
        #expect(AsciiFallback.character("⠉") == "'")  // dots 1 and 4: the top row
        #expect(AsciiFallback.character("⠒") == "'")  // dots 2 and 5: the second row
        #expect(AsciiFallback.character("⠤") == ".")  // dots 3 and 6: the third row
        #expect(AsciiFallback.character("⣀") == ".")  // dots 7 and 8: the bottom row
        #expect(AsciiFallback.character("⡇") == ":")  // the whole left column
        #expect(AsciiFallback.character("⣿") == ":")
    }
}
