import Foundation
import Testing
import TestSupport

/// The command-line side of the lessons and the screen's options.
struct LessonCommandLineTests {
    /// A negative number reaches validation and gets its reason, not "Missing value".
    @Test(arguments: [["--depth", "-3"], ["--width", "-1"], ["--steps", "-5"], ["--lr", "-0.1"]])
    func negativeNumbersAreRefusedWithTheirReason(option: [String]) async throws {
        let result = try await reslab(arguments: ["train"] + option)
        #expect(result.status == 64)
        #expect(result.stderr.contains(option[0]) && !result.stderr.contains("Missing value"), "\(result.stderr)")
    }

    @Test(arguments: [["--twin"], ["--preset", "vanishing"], ["--preset", "lesion"]])
    func skipOffIsRefusedWhereATwinIsAlreadyThePlainNet(option: [String]) async throws {
        let result = try await reslab(arguments: ["train", "--skip", "off"] + option)
        #expect(result.status == 64)
        #expect(result.stderr.contains("--skip off cannot be combined"))
    }

    /// An explicit theme that cannot be used stops the program before any screen, with status 64.
    @Test func anUnusableThemeExits64() async throws {
        let missing = try await reslab("--theme", "nonexistent")
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("no theme named 'nonexistent'"))
        try await withTemporaryDirectory { directory in
            let bad = directory.appendingPathComponent("bad.yaml")
            try "name: bad\ntrain: [\"#00\n".write(to: bad, atomically: true, encoding: .utf8)
            let broken = try await reslab("--theme", bad.path)
            #expect(broken.status == 64)
            #expect(broken.stderr.contains(bad.path))
        }
    }

    /// Themes in `$XDG_CONFIG_HOME/reslab/themes` are found by name.
    @Test func themesAreFoundUnderXDGConfigHome() async throws {
        try await withTemporaryDirectory { directory in
            let themes = directory.appendingPathComponent("reslab/themes")
            try FileManager.default.createDirectory(at: themes, withIntermediateDirectories: true)
            try "name: classroom\nmonochrome: true\n".write(to: themes.appendingPathComponent("classroom.yaml"),
                                                             atomically: true, encoding: .utf8)
            let result = try await reslab(arguments: ["themes"], environment: ["XDG_CONFIG_HOME": directory.path])
            #expect(result.status == 0)
            #expect(result.stdout.contains(themes.path))
            #expect(result.stdout.contains("classroom"))
        }
    }

    /// Headless, the vanishing lesson ends with the same verdict as the
    /// dashboard's banner, and the README quotes that very line.
    @Test func headlessVanishingLessonPrintsTheVerdictTheReadmeQuotes() async throws {
        let result = try await reslab("train", "--preset", "vanishing")
        #expect(result.status == 0, "\(result.stderr)")
        let verdict = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("verdict (depth 20): test accuracy: residual") },
                                   "\(result.stdout.suffix(600))")
        #expect(verdict.contains("plain twin") && verdict.contains("chance 33.3 %") && verdict.contains("first/last block ‖∂L/∂W‖"))
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        #expect(try String(contentsOf: readme, encoding: .utf8).contains(verdict + "\n"), "README lacks: \(verdict)")
    }

    /// Headless, the lesion lesson runs the sweep its lesson promises when training ends.
    @Test func headlessLesionLessonRunsItsFollowUp() async throws {
        let result = try await reslab("train", "--preset", "lesion", "--steps", "300", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let swept = objects.last { $0["run"] as? String == "residual" && $0["lesion_sweep"] != nil }
        let sweep = try #require(swept?["lesion_sweep"] as? [String: Any])
        #expect((sweep["accuracy"] as? [Double])?.count == 16)
    }

    /// Lesion results of a twin pair say which network they are.
    @Test func lesionJSONOfATwinPairNamesEachRun() async throws {
        let result = try await reslab("lesion", "--preset", "lesion", "--json", "--threads", "1")
        #expect(result.status == 0, "\(result.stderr)")
        // Its progress lines are drawn on a terminal only, never into a pipe.
        #expect(!result.stderr.contains("\u{1B}"))
        let runs = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])["run"] as? String
        }
        #expect(runs == ["residual", "plain"])
    }

    /// `--sweep-limit` trades the live sweep's precision for speed: the
    /// lesion lesson's follow-up then evaluates on that many test samples.
    @Test func sweepLimitIsValidatedAndHonoured() async throws {
        #expect(try await reslab("train", "--sweep-limit", "0").status == 64)
        let result = try await reslab("train", "--preset", "lesion", "--steps", "100", "--sweep-limit", "7", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let sweep = try #require(try result.stdout.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.last { $0["lesion_sweep"] != nil }?["lesion_sweep"] as? [String: Any])
        // Accuracies over 7 samples are sevenths (over the 300 test points most are not).
        let accuracies = try #require(sweep["accuracy"] as? [Double]) + [try #require(sweep["intact"] as? Double)]
        #expect(accuracies.allSatisfy { abs($0 * 7 - ($0 * 7).rounded()) < 1e-4 }, "\(accuracies)")
    }

    /// `--train-seed` trains the preset's network with another seed.
    @Test func trainSeedChangesThePresetsNetwork() async throws {
        let first = try await reslab("paths", "--preset", "paths", "--json", "--threads", "1", "--samples", "2")
        let second = try await reslab("paths", "--preset", "paths", "--train-seed", "2", "--json", "--threads", "1", "--samples", "2")
        #expect(first.status == 0 && second.status == 0)
        #expect(first.stdout != second.stdout)
        #expect(try await reslab("lesion", "--load", "x.safetensors", "--train-seed", "2").status == 64)
    }

    /// Regression inputs of the hardening audit, through the binary: one line each, no trap.
    @Test func hostileSizesGetOneLine() async throws {
        let small = try await reslab("train", "--samples", "10")
        #expect(small.status == 1 && small.stderr.contains("fewer than one batch"))
        for option in [["--epochs", "9223372036854775807"], ["--samples", "9223372036854775807"], ["--steps", "9223372036854775807"]] {
            let result = try await reslab(arguments: ["train"] + option)
            #expect(result.status == 64, "\(option): \(result.stderr)")
        }
    }

    /// SIGTERM to a headless run redirected to a file: the lines printed so
    /// far are in the file, `--save` is written and announced, and the status is 143.
    @Test func terminatedHeadlessRunKeepsItsLinesAndCheckpoint() async throws {
        try await withTemporaryDirectory { directory in
            let checkpoint = directory.appendingPathComponent("stopped.safetensors").path
            let log = directory.appendingPathComponent("log.txt").path
            let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
            let script = "'\(products)/reslab' train --steps 1000000 --depth 3 --width 8 --save '\(checkpoint)' > '\(log)' & "
                + "sleep 3; kill -TERM $!; wait $!"
            let result = try await offPool { () -> Int32 in
                let shell = Process()
                shell.executableURL = URL(fileURLWithPath: "/bin/sh")
                shell.arguments = ["-c", script]
                try shell.run()
                shell.waitUntilExit()
                return shell.terminationStatus
            }
            #expect(result == 143)
            #expect(FileManager.default.fileExists(atPath: checkpoint))
            let lines = try String(contentsOfFile: log, encoding: .utf8)
            #expect(lines.contains("step") && lines.contains("test"), "\(lines.suffix(300))")
            #expect(lines.contains("saved checkpoint \(checkpoint) at step"), "\(lines.suffix(300))")
        }
    }
}
