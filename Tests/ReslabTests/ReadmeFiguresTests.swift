import Foundation
import Testing
import TestSupport

/// The README's lesson figures are a fresh run's: `Tests/Docs/figures.py
/// --check` re-runs every command they print and fails on any difference,
/// or on any claim of the text that no longer holds.
struct ReadmeFiguresTests {
    @Test(.timeLimit(.minutes(8)))
    func readmeFiguresMatchAFreshRun() async throws {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let (status, report) = try await runPython([repositoryRoot.appendingPathComponent("Tests/Docs/figures.py").path, "--check",
                                              "--reslab", products.appendingPathComponent("reslab").path])
        #expect(status == 0, "\(report)")
        #expect(report.contains("match the README"), "\(report)")
    }
}
