/// The screen in ASCII, for a locale that is not UTF-8 (`LANG=C`, or no
/// locale at all, as in many containers). There ncurses cannot write the
/// box lines, bars and braille plots, and shows each of their bytes as an
/// escape (`~T~@`). Each glyph the dashboard draws has a stand-in of one
/// cell here: corners `+`, lines `-` and `|`, bars `#`, plot dots `'` `.`
/// and `:`, markers `*` `o` `x` `>`.
public enum AsciiFallback {
    /// `character` itself if it is ASCII, else its stand-in, or `?` for a
    /// glyph without one (a test checks that every screen has them all).
    public static func character(_ character: Character) -> Character {
        if character.isASCII { return character }
        guard let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1 else { return "?" }
        if (0x2800...0x28FF).contains(scalar.value) { return braille(UInt8(scalar.value - 0x2800)) }
        return standIns[character] ?? "?"
    }

    /// Whether `character` has a stand-in (or needs none).
    public static func covers(_ character: Character) -> Bool {
        character.isASCII || self.character(character) != "?"
    }

    /// A braille cell's eight dots (bits 0–2 and 6 the left column, top to
    /// bottom, bits 3–5 and 7 the right) as the half of the cell they fill:
    /// the upper (`'`), the lower (`.`) or both (`:`).
    static func braille(_ dots: UInt8) -> Character {
        let upper = dots & 0b0001_1011 != 0, lower = dots & 0b1110_0100 != 0
        switch (upper, lower) {
        case (true, true): return ":"
        case (true, false): return "'"
        case (false, true): return "."
        case (false, false): return " "
        }
    }

    private static let standIns: [Character: Character] = [
        // Boxes, axes and the charts' line styles.
        "─": "-", "━": "=", "┈": "-", "╍": "-", "│": "|", "┌": "+", "┐": "+", "└": "+", "┘": "+", "┤": "+",
        "╵": "'",
        // Bars (eighths of a cell), heat and shading.
        "█": "#", "▉": "#", "▊": "#", "▋": "#", "▌": "#", "▍": "|", "▎": "|", "▏": "|",
        "▁": "_", "▂": "_", "▃": "_", "▄": "=", "▅": "=", "▆": "=", "▀": "#",
        "░": ".", "▒": ":", "▓": "%",
        // Markers and states.
        "●": "*", "•": "*", "○": "o", "✕": "x", "×": "x", "▸": ">", "▶": ">", "■": "#", "⏸": "=",
        // Arrows and text.
        "↑": "^", "↓": "v", "→": ">", "↔": "~", "‖": "|", "∂": "d", "−": "-", "–": "-", "—": "-",
        "·": ".", "…": ".", "±": "+", "÷": "/", "½": "/", "∞": "~", "τ": "t", "Δ": "D",
    ]
}
