import Foundation
import Testing
import TestSupport

/// `reslab inspect` reports what a training step would see, without training.
struct InspectCommandTests {
    /// Its figures equal those `reslab train --load` reports at step 1, on
    /// the same batch, at one thread and at two.
    @Test(arguments: ["1", "2"])
    func agreesWithTheFirstStepOfTraining(threads: String) async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("net.safetensors").path
            #expect(try await reslab("train", "--depth", "3", "--width", "8", "--steps", "40", "--threads", "1", "--save", file).status == 0)
            let trained = try await reslab("train", "--load", file, "--steps", "1", "--eval-every", "1", "--threads", threads, "--json")
            let first = try #require(try trained.stdout.split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.first { $0["step"] as? Int == 1 && $0["train_loss"] != nil })
            let inspected = try await reslab("inspect", "--load", file, "--threads", threads, "--json")
            #expect(inspected.status == 0, "\(inspected.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [String: Any])
            #expect(report["kind"] as? String == "inspect")
            #expect(report["loss"] as? Double == first["train_loss"] as? Double)
            #expect(report["accuracy"] as? Double == first["train_acc"] as? Double)
            #expect(report["grad_norm"] as? [Double] == first["grad_norm"] as? [Double])
            #expect(report["input_grad_norm"] as? [Double] == first["input_grad_norm"] as? [Double])
            #expect((report["indices"] as? [Int])?.count == 128)
            // Nothing was trained: a second look sees the same.
            #expect(try await reslab("inspect", "--load", file, "--threads", threads, "--json").stdout == inspected.stdout)
        }
    }

    @Test func wrongRequestsGetOneLine() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("net.safetensors").path
            #expect(try await reslab("train", "--depth", "2", "--width", "8", "--steps", "5", "--save", file).status == 0)
            let tooBig = try await reslab("inspect", "--load", file, "--batch", "100000")
            #expect(tooBig.status == 1 && tooBig.stderr.contains("--batch must be from 1 to"))
            #expect(try await reslab("inspect", "--load", file, "--batch", "-2").status == 1)
            // The network has batch norm: one sample would show no gradient at all.
            let single = try await reslab("inspect", "--load", file, "--batch", "1")
            #expect(single.status == 1 && single.stderr.contains("--batch 1 leaves batch norm in a dense network"))
            #expect(single.stdout.isEmpty)
            #expect(try await reslab("inspect", "--load", file, "--validation", "--batch", "10").status == 64)
            let whole = try await reslab("inspect", "--load", file, "--validation", "--json")
            #expect(whole.status == 0 && whole.stdout.contains("\"split\":\"validation\""))
            let missing = try await reslab("inspect", "--load", directory.appendingPathComponent("none").path)
            #expect(missing.status == 1 && missing.stderr.hasPrefix("error: "))
        }
    }
}
