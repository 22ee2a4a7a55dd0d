/// A scalable vector graphic, written as text: a list of elements in a
/// fixed-size canvas. Numbers are written with at most two decimals so that
/// the same figure is the same text on every machine.
public struct SVGDocument {
    public let width: Double
    public let height: Double
    public let background: String
    private var elements: [String] = []

    public init(width: Double, height: Double, background: String) {
        (self.width, self.height, self.background) = (width, height, background)
    }

    /// Appends one element, already written (see the helpers below).
    public mutating func add(_ element: String) { elements.append(element) }

    /// The whole document.
    public var text: String {
        let header = #"<svg xmlns="http://www.w3.org/2000/svg" width="\#(number(width))" height="\#(number(height))" "#
            + #"viewBox="0 0 \#(number(width)) \#(number(height))">"#
        let backdrop = #"<rect width="100%" height="100%" fill="\#(background)"/>"#
        return ([header, backdrop] + elements + ["</svg>"]).joined(separator: "\n") + "\n"
    }
}

/// `value` with at most two decimals and no trailing zeros: `12`, `3.5`, `0.25`.
public func number(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}

/// Text made safe for XML content and attribute values.
public func xmlEscaped(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        default:
            // XML 1.0 allows no control characters but tab, newline and return.
            if let ascii = character.asciiValue, ascii < 32, ascii != 9, ascii != 10, ascii != 13 { continue }
            escaped.append(character)
        }
    }
    return escaped
}

/// `<text>` at (`x`, `y`) with the given attributes.
func svgText(_ content: String, x: Double, y: Double, attributes: String = "") -> String {
    #"<text x="\#(number(x))" y="\#(number(y))"\#(attributes.isEmpty ? "" : " " + attributes)>\#(xmlEscaped(content))</text>"#
}

/// `<line>` from (`x1`, `y1`) to (`x2`, `y2`).
func svgLine(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) -> String {
    #"<line x1="\#(number(x1))" y1="\#(number(y1))" x2="\#(number(x2))" y2="\#(number(y2))" stroke="\#(stroke)" stroke-width="\#(number(width))"\#(dash.map { #" stroke-dasharray="\#($0)""# } ?? "")/>"#
}
