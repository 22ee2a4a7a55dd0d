import Foundation
import Testing

/// The README's lesson figures are a fresh run's: `Tests/Docs/figures.py
/// --check` re-runs every command they print and fails on any difference,
/// or on any claim of the text that no longer holds.
struct ReadmeFiguresTests {
    @Test(.timeLimit(.minutes(5)))
    func readmeFiguresMatchAFreshRun() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let python = ProcessInfo.processInfo.environment["RESLAB_PYTHON"] ?? "/usr/bin/env"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = (python == "/usr/bin/env" ? ["python3"] : []) + [
            repository.appendingPathComponent("Tests/Docs/figures.py").path, "--check",
            "--reslab", products.appendingPathComponent("reslab").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(report)")
        #expect(report.contains("match the README"), "\(report)")
    }
}
