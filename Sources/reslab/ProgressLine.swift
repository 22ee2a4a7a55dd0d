import Foundation

/// Whether standard error is a terminal: progress lines are drawn only
/// there, so that a log file or a pipe never receives their escapes.
private let progressIsShown = isatty(STDERR_FILENO) == 1

/// Rewrites one progress line on standard error, if it is a terminal.
func progressLine(_ text: String) {
    guard progressIsShown else { return }
    FileHandle.standardError.write(Data("\r\(text)\u{1B}[K".utf8))
}

/// Ends the progress line, if one was written.
func finishProgress() {
    guard progressIsShown else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
}
