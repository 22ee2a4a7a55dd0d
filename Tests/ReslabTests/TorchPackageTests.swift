import Foundation
import Testing
import TestSupport

/// The PyTorch package (`Sources/reslab-torch`): its pytest suite, with this
/// build's `reslab` binary for the checkpoints that cross between the two.
struct TorchPackageTests {
    @Test func pytestSuitePasses() async throws {
        try await requirePythonModules(["pytest", "torch", "numpy", "safetensors"])
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let tests = repositoryRoot.appendingPathComponent("Sources/reslab-torch/tests").path
        let (status, output) = try await runPython(["-m", "pytest", "-q", "-p", "no:cacheprovider", tests],
                                                   environment: ["RESLAB_BIN": products.appendingPathComponent("reslab").path])
        #expect(status == 0, "\(output.suffix(3000))")
        // Every test ran: none skipped, and as many passed as the suite holds.
        #expect(output.contains("39 passed") && !output.contains("skipped"), "\(output.suffix(500))")
    }
}
