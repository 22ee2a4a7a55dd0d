import Foundation

/// What a cell means, not what colour it is: the theme decides the colour.
public enum Role: String, CaseIterable, Sendable {
    case text, dim, frame, title, accent, warning
    case train, validation, lesioned
    case residual, plain, deleted
    case selected
    case bar0, bar1, bar2, bar3
    case heat0, heat1, heat2, heat3, heat4, heat5
    case class0, class1, class2, class3, class4, class5

    /// The heatmap roles, coldest first.
    public static let heat: [Role] = [.heat0, .heat1, .heat2, .heat3, .heat4, .heat5]
    /// The gradient bars' colours, smallest norm first.
    public static let bar: [Role] = [.bar0, .bar1, .bar2, .bar3]
    /// One role per class of a decision map.
    public static let classes: [Role] = [.class0, .class1, .class2, .class3, .class4, .class5]
}

/// How one cell is drawn: a foreground role, an optional background role
/// (for half-block pixels) and attributes.
public struct CellStyle: Equatable, Hashable, Sendable {
    public var foreground: Role
    public var background: Role?
    public var bold = false
    public var reverse = false

    public init(_ foreground: Role = .text, background: Role? = nil, bold: Bool = false, reverse: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
    }
}

/// One character cell.
public struct Cell: Equatable, Sendable {
    public var character: Character
    public var style: CellStyle
}

/// A rectangle of cells, in columns and rows.
public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        (self.x, self.y, self.width, self.height) = (x, y, max(0, width), max(0, height))
    }

    /// The rectangle without a one-cell border.
    public var inner: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }
}

/// A grid of styled cells that widgets draw into. Everything on screen is
/// drawn here first, so widgets are tested as text, without a terminal.
public struct Canvas: Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Words and numbers that `put` had to cut short (they ran past their
    /// limit or the edge). A correct screen has none: tests check it.
    public private(set) var cutWords: [String] = []

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(character: " ", style: CellStyle()), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    /// Writes `text` from (x, y), clipped to `limit` columns and to the canvas.
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = CellStyle(), limit: Int = .max) {
        guard y >= 0, y < height else { return }
        let characters = Array(text)
        let shown = min(characters.count, max(0, limit), max(0, width - x))
        for (offset, character) in characters.prefix(shown).enumerated() where x + offset >= 0 {
            cells[y * width + x + offset] = Cell(character: character, style: style)
        }
        if shown < characters.count { noteCut(characters, at: shown) }
    }

    /// Writes `text` within `limit` columns, shortened at a space with `…`
    /// when it does not fit, so that no word or number is cut.
    public mutating func putFitted(_ text: String, x: Int, y: Int, style: CellStyle = CellStyle(), limit: Int) {
        guard text.count > limit else { return put(text, x: x, y: y, style: style) }
        guard limit >= 1 else { return }
        var kept = String(text.prefix(limit - 1))
        if let space = kept.lastIndex(of: " "), text[text.index(text.startIndex, offsetBy: limit - 1)] != " " {
            kept = String(kept[..<space])
        }
        put(kept.trimmingCharacters(in: .whitespaces) + "…", x: x, y: y, style: style)
    }

    /// Records the word cut at `index`.
    private mutating func noteCut(_ characters: [Character], at index: Int) {
        guard index > 0, !characters[index - 1].isWhitespace, !characters[index].isWhitespace else { return }
        var start = index - 1, end = index
        while start > 0 && !characters[start - 1].isWhitespace { start -= 1 }
        while end < characters.count && !characters[end].isWhitespace { end += 1 }
        cutWords.append(String(characters[start..<end]))
    }

    /// Fills a rectangle with one character.
    public mutating func fill(_ rect: Rect, with character: Character = " ", style: CellStyle = CellStyle()) {
        for y in rect.y..<rect.y + rect.height {
            for x in rect.x..<rect.x + rect.width { self[x, y] = Cell(character: character, style: style) }
        }
    }

    /// Draws a light box around `rect` with an optional title in its top edge.
    public mutating func box(_ rect: Rect, title: String? = nil, style: CellStyle = CellStyle(.frame)) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let (right, bottom) = (rect.x + rect.width - 1, rect.y + rect.height - 1)
        for x in rect.x + 1..<right {
            self[x, rect.y] = Cell(character: "─", style: style)
            self[x, bottom] = Cell(character: "─", style: style)
        }
        for y in rect.y + 1..<bottom {
            self[rect.x, y] = Cell(character: "│", style: style)
            self[right, y] = Cell(character: "│", style: style)
        }
        self[rect.x, rect.y] = Cell(character: "┌", style: style)
        self[right, rect.y] = Cell(character: "┐", style: style)
        self[rect.x, bottom] = Cell(character: "└", style: style)
        self[right, bottom] = Cell(character: "┘", style: style)
        if let title, rect.width > 4 {
            put(" \(title) ", x: rect.x + 1, y: rect.y, style: CellStyle(.title, bold: true), limit: rect.width - 2)
        }
    }

    /// The characters of each row, for tests and snapshots.
    public var lines: [String] {
        (0..<height).map { y in String(cells[y * width..<(y + 1) * width].map(\.character)) }
    }
}
