import CNCurses
import Foundation
import Synchronization

/// The last termination signal (SIGINT, SIGTERM, SIGHUP) received, or 0.
/// Written by the signal handler, read by the UI loop: a lock-free atomic
/// is async-signal-safe.
let pendingSignal = Atomic<Int32>(0)

/// The terminal settings before the dashboard started, for the fatal-signal
/// handler to restore.
// Why `nonisolated(unsafe)` is safe: written once, on the main thread, before
// any handler that reads it is installed; only read afterwards.
nonisolated(unsafe) private var originalSettings = termios()

/// Why the dashboard cannot start.
public enum TerminalError: Error, CustomStringConvertible {
    case notATerminal
    case unknownTerminal(String)
    /// Known, but without cursor addressing (`dumb`).
    case screenlessTerminal(String)

    public var description: String {
        switch self {
        case .notATerminal:
            return "the dashboard needs a terminal on standard input and output; use `reslab train` for headless runs"
        case .unknownTerminal(let name):
            return "the terminal type TERM=\(name) is unknown to ncurses; try TERM=xterm-256color, or use `reslab train`"
        case .screenlessTerminal(let name):
            return "the terminal type TERM=\(name) cannot move the cursor, which the dashboard needs; try TERM=xterm-256color, or use `reslab train`"
        }
    }
}

/// The one place that calls ncurses. It lives on the main actor because
/// ncurses is not thread-safe.
@MainActor
final class Terminal {
    private var theme: Theme
    private let colour: Bool
    /// Whether the locale is UTF-8; if not, the screen is drawn in ASCII (`AsciiFallback`).
    let unicode: Bool
    private var pairs: [Int: Int32] = [:]

    /// Checks, without touching the screen, that the dashboard can start here.
    static func preflight() throws {
        guard isatty(0) != 0, isatty(1) != 0 else { throw TerminalError.notATerminal }
        let name = ProcessInfo.processInfo.environment["TERM"] ?? ""
        // `dumb` is known to ncurses but cannot address the screen.
        if name == "dumb" { throw TerminalError.screenlessTerminal(name) }
        guard !name.isEmpty, reslab_terminal_known(name) == 1 else {
            throw TerminalError.unknownTerminal(name.isEmpty ? "(unset)" : name)
        }
    }

    /// Takes over the terminal: restores it on `stop()`, on SIGINT, SIGTERM
    /// and SIGHUP (through the UI loop), and on fatal signals.
    init(theme: Theme) throws {
        guard isatty(0) != 0, isatty(1) != 0 else { throw TerminalError.notATerminal }
        let name = ProcessInfo.processInfo.environment["TERM"] ?? ""
        setlocale(LC_ALL, "")
        unicode = String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8"
        tcgetattr(0, &originalSettings)
        guard !name.isEmpty, newterm(nil, fdopen(1, "w"), fdopen(0, "r")) != nil else {
            throw TerminalError.unknownTerminal(name.isEmpty ? "(unset)" : name)
        }
        Self.installSignalHandlers()
        cbreak()
        noecho()
        keypad(reslab_stdscr(), true)
        // Esc closes the help at once, not after ncurses' default second of waiting for a sequence.
        set_escdelay(25)
        curs_set(0)
        mousemask(reslab_click_mask(), nil)
        mouseinterval(0)
        colour = has_colors() && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        if colour {
            start_color()
            use_default_colors()
        }
        self.theme = theme
    }

    /// Whether `theme` is drawn in colour here (not under NO_COLOR, on a
    /// terminal without colour, or with a monochrome theme).
    func showsColour(_ theme: Theme) -> Bool { colour && !theme.monochrome }

    func stop() {
        endwin()
    }

    var size: (width: Int, height: Int) {
        (Int(getmaxx(reslab_stdscr())), Int(getmaxy(reslab_stdscr())))
    }

    func setTheme(_ theme: Theme) {
        self.theme = theme
        pairs = [:]
    }

    /// The next key, waiting at most `milliseconds`.
    func readKey(waiting milliseconds: Int32) -> Key? {
        wtimeout(reslab_stdscr(), milliseconds)
        let code = wgetch(reslab_stdscr())
        switch code {
        case ERR: return nil
        case KEY_UP: return .up
        case KEY_DOWN: return .down
        case KEY_PPAGE: return .pageUp
        case KEY_NPAGE: return .pageDown
        case 9: return .tab
        case reslab_key_f(1): return .f1
        case reslab_key_resize(): return .resize
        case reslab_key_mouse():
            var event = MEVENT()
            guard getmouse(&event) == OK else { return nil }
            return .click(x: Int(event.x), y: Int(event.y))
        case 0..<128: return .character(Character(Unicode.Scalar(UInt8(code))))
        default: return nil
        }
    }

    /// Shows `canvas`; ncurses sends only the cells that changed.
    func draw(_ canvas: Canvas) {
        werase(reslab_stdscr())
        for y in 0..<canvas.height {
            var x = 0
            while x < canvas.width {
                let style = canvas[x, y].style
                var run = ""
                let start = x
                while x < canvas.width && canvas[x, y].style == style {
                    let character = canvas[x, y].character
                    run.append(unicode ? character : AsciiFallback.character(character))
                    x += 1
                }
                _ = reslab_set_attributes(attributes(style))
                mvwaddstr(reslab_stdscr(), Int32(y), Int32(start), run)
            }
        }
        _ = reslab_set_attributes(0)
        wrefresh(reslab_stdscr())
    }

    /// ncurses attributes for a style: a colour pair where colour is on,
    /// otherwise bold, dim and reverse alone.
    private func attributes(_ style: CellStyle) -> Int32 {
        var value: Int32 = 0
        if style.bold { value |= reslab_a_bold() }
        if style.reverse { value |= reslab_a_reverse() }
        guard colour && !theme.monochrome else { return value | Self.monochrome(style) }
        let foreground = palette(theme.color(style.foreground))
        let background = palette(style.background.map { theme.color($0) } ?? theme.background)
        let key = (foreground + 1) * 1024 + background + 1
        if let pair = pairs[key] { return value | reslab_color_pair(pair) }
        let next = Int32(pairs.count + 1)
        guard next < reslab_color_pairs() else { return value }
        init_pair(Int16(next), Int16(foreground), Int16(background))
        pairs[key] = next
        return value | reslab_color_pair(next)
    }

    /// The colour index on this terminal: the 256-colour table, or the
    /// nearest of the eight basic colours.
    private func palette(_ color: ThemeColor) -> Int {
        let index = color.paletteIndex
        guard index >= 0, reslab_colors() < 256 else { return index }
        guard case .rgb(let r, let g, let b) = color else { return -1 }
        return (r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0)
    }

    /// Attributes that stand in for colour: emphasis for what matters, dim for the rest.
    static func monochrome(_ style: CellStyle) -> Int32 {
        switch style.foreground {
        case .title, .selected, .warning, .accent, .bar3, .heat4, .heat5, .lesioned: return reslab_a_bold()
        case .dim, .frame, .deleted, .bar0, .heat0, .heat1: return reslab_a_dim()
        default: return 0
        }
    }

    private static func installSignalHandlers() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number) { received in pendingSignal.store(received, ordering: .relaxed) }
        }
        for number in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE] {
            signal(number) { received in
                // Only async-signal-safe calls: restore the settings, leave the
                // alternate screen, show the cursor, then die as intended.
                tcsetattr(0, TCSANOW, &originalSettings)
                let reset: StaticString = "\u{1B}[0m\u{1B}[?1049l\u{1B}[?25h\r\n"
                _ = write(1, reset.utf8Start, reset.utf8CodeUnitCount)
                signal(received, SIG_DFL)
                raise(received)
            }
        }
    }
}
