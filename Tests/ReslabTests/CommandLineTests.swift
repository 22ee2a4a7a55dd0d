import Foundation
import Testing
import TestSupport

/// What one run of the built `reslab` binary produced.
struct Outcome {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the `reslab` binary that `swift test` built next to this test bundle.
func reslab(_ arguments: String...) async throws -> Outcome {
    try await reslab(arguments: arguments)
}

/// Runs the `reslab` binary with an argument array, and `environment` added
/// to this process's.
func reslab(arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
    try await offPool { try reslabBlocking(arguments: arguments, environment: environment) }
}

/// Runs the `reslab` binary on a terminal of its own: `script` (util-linux)
/// gives it a pseudo-terminal and copies everything it writes there, standard
/// error included, into the outcome's `stdout`.
func reslabOnATerminal(_ arguments: String...) async throws -> Outcome {
    let quoted = ([reslabPath] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    return try await offPool {
        try reslabBlocking(executable: "/usr/bin/script", arguments: ["-qec", quoted.joined(separator: " "), "/dev/null"],
                           environment: [:])
    }
}

/// The `reslab` binary that `swift test` built next to this test bundle.
private var reslabPath: String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("reslab").path
}

private func reslabBlocking(executable: String = reslabPath, arguments: [String],
                            environment: [String: String]) throws -> Outcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
}

/// The command-line contract, exercised through the real binary.
struct CommandLineTests {
    @Test func unknownDatasetListsTheValidChoices() async throws {
        let result = try await reslab("train", "--dataset", "imagenet")
        #expect(result.status == 64)
        #expect(result.stderr.contains("spirals"))
        #expect(result.stderr.contains("checkerboard"))
    }

    @Test func unknownActivationListsTheValidChoices() async throws {
        let result = try await reslab("train", "--activation", "swish")
        #expect(result.status == 64)
        #expect(result.stderr.contains("gelu"))
    }

    @Test(arguments: [["--depth", "0"], ["--batch", "0"], ["--width", "-3"], ["--width", "100000", "--depth", "1000"],
                      ["--memory", "--depth", "200", "--width", "4096"]])
    func impossibleSizesAreRefused(arguments: [String]) async throws {
        let result = try await reslab(arguments: ["train"] + arguments.dropFirst(arguments[0] == "--memory" ? 1 : 0))
        #expect(result.status == 64)
        #expect(result.stderr.contains(String(arguments[0].dropFirst(2))))
        #expect(result.stdout.isEmpty)
    }

    /// More threads than cores would run on fewer than it says, so every
    /// command refuses them, as it refuses none at all.
    @Test(arguments: [["train", "--steps", "1"], ["bench", "--seconds", "0.1"], ["lesion", "--preset", "vanishing"]])
    func threadCountsBeyondTheCoresAreRefused(command: [String]) async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for threads in [0, cores + 1] {
            let result = try await reslab(arguments: command + ["--threads", "\(threads)"])
            #expect(result.status == 64)
            #expect(result.stderr.contains("--threads must be from 1 to \(cores), the cores of this machine (got \(threads))"))
            #expect(result.stdout.isEmpty)
        }
    }

    @Test func divergenceStopsWithAHintAndNoGarbage() async throws {
        let result = try await reslab("train", "--lr", "100000", "--norm", "none", "--schedule", "constant",
                                "--depth", "4", "--width", "16", "--steps", "300", "--json")
        #expect(result.status == 1)
        #expect(result.stderr.contains("diverged at step"))
        #expect(result.stderr.contains("Try a lower --lr (now 100000.0)."))
        #expect(!result.stdout.contains("NaN"))
        #expect(!result.stdout.contains("Infinity"))
        // Without --lr, the hint names the default it ran with.
        let single = try await reslab("train", "--batch", "1", "--norm", "none", "--steps", "20", "--threads", "1")
        #expect(single.status == 1)
        #expect(single.stderr.contains("Try a lower --lr (now 0.1, the default)."))
    }

    @Test func jsonLinesCarryTheDocumentedKeys() async throws {
        let result = try await reslab("train", "--depth", "3", "--width", "8", "--steps", "30", "--eval-every", "10",
                                "--json", "--threads", "1")
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            for key in ["step", "epoch", "val_loss", "val_acc", "grad_norm", "block_modes", "samples_per_s"] {
                #expect(object[key] != nil, "missing \(key) in \(line)")
            }
            #expect((object["block_modes"] as? [String])?.count == 3)
        }
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        #expect(last["state"] as? String == "finished")
        #expect(last["test_acc"] != nil)
    }

    @Test(arguments: ["train", "bench"])
    func everySubcommandHasHelp(subcommand: String) async throws {
        let result = try await reslab(subcommand, "--help")
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: reslab \(subcommand)"))
    }

    /// `--memory` reports the peak of the measured run, a child process that
    /// holds all of Fashion-MNIST (55 MB of images): this process, which
    /// never loads it, holds far less, so reporting its own peak would fail.
    @Test func memoryBenchmarkReportsThePeakOfTheTrainingRun() async throws {
        let result = try await reslab("bench", "--memory", "--steps", "1", "--threads", "1", "--json")
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["workload"] as? String == "conv-fashion")
        let kilobytes = try #require(object["peak_resident_kb"] as? Int)
        #expect(kilobytes > 60_000 && kilobytes < 1_000_000)
        #expect(try await reslab("bench", "--memory", "--workload", "mlp-spiral").status == 64)
        #expect(try await reslab("bench", "--steps", "5").status == 64)
    }

    @Test func gemmBenchmarkReportsEveryShape() async throws {
        let result = try await reslab("bench", "--gemm", "--seconds", "0.01", "--json")
        #expect(result.status == 0)
        let names = try result.stdout.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((object["gflops"] as? Double ?? 0) > 0)
            if object["workload"] as? String != "fma-peak" {
                // Each product's share is of the peak timed just before it, and
                // counts only the useful arithmetic. Each stage's Winograd
                // tiles, forward, for the weight gradient and for the input
                // gradient, do 36 products per 4×4 patch instead of 144 (49
                // patches cover 784 pixels; reaching past the image, 16
                // cover 196, 36·16 against 9·196, and 4 cover 49).
                let (name, gflops) = (object["workload"] as? String ?? "", object["gflops"] as? Double ?? 0)
                let peak = object["peak_gflops"] as? Double ?? 0
                let useful = object["useful_gflops"] as? Double ?? gflops
                #expect(peak > 0 && abs((object["peak_fraction"] as? Double ?? 0) * peak - useful) <= 1e-9 * useful)
                let winogradShare: Double? = ["conv-28x28x16": 0.25, "conv-14x14x32": 576.0 / 1764, "conv-7x7x64": 144.0 / 441][name]
                let counted = winogradShare.map { useful * $0 } ?? useful
                #expect(abs(counted - gflops) <= 1e-9 * gflops, "\(name): counted \(gflops), expected \(counted)")
            }
            return object["workload"] as? String ?? ""
        }
        #expect(names == ["fma-peak", "gemm-128", "gemm-256", "gemm-1024", "gemm-conv", "gemm-dense",
                          "gemm-dense-dw", "conv-28x28x16", "conv-14x14x32", "conv-7x7x64"])
    }

    /// Every size is reported, and its GFLOP/s counts exactly the matrix
    /// products of one training step: per sample, forward, weight gradient
    /// and input gradient of each linear layer, except the stem's input
    /// gradient, which training skips. (`sgemm` counts every product in the
    /// process, so this is checked in a process of its own.)
    @Test func scalingBenchmarkReportsEverySizeAndItsArithmetic() async throws {
        let result = try await reslab("bench", "--scaling", "--seconds", "0.01", "--rounds", "2", "--json")
        #expect(result.status == 0)
        let sizes = try result.stdout.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let (depth, width) = (object["depth"] as? Int ?? 0, object["width"] as? Int ?? 0)
            let stem = 784 * width, blocks = 2 * depth * width * width, head = width * 10
            let expected = Double(2 * 128 * (3 * (stem + blocks + head) - stem))
            let measured = (object["gflops"] as? Double ?? 0) * (object["ms_per_step"] as? Double ?? 0) * 1e6
            #expect(abs(measured - expected) <= 1e-6 * expected, "depth \(depth) width \(width): \(measured) vs \(expected)")
            return [depth, width]
        }
        #expect(sizes == [[10, 128], [20, 128], [40, 128], [80, 128], [20, 64], [20, 128], [20, 256], [20, 512]])
        #expect(try await reslab("bench", "--scaling", "--gemm").status == 64)
        #expect(try await reslab("bench", "--scaling", "--rounds", "0").status == 64)
        // Timings that would never end are refused, with one line each.
        for arguments in [["--seconds", "1e308"], ["--seconds", "inf"], ["--seconds", "nan"], ["--rounds", "1000000000"]] {
            let result = try await reslab(arguments: ["bench"] + arguments)
            #expect(result.status == 64 && result.stderr.contains("Error: --"), "\(arguments): \(result.stderr)")
        }
    }

    @Test func benchmarkRunsAWorkloadAtAGivenSize() async throws {
        let result = try await reslab("bench", "--workload", "mlp-fashion", "--depth", "3", "--width", "16",
                                "--seconds", "0.01", "--json")
        #expect(result.status == 0)
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["depth"] as? Int == 3 && object["width"] as? Int == 16)
        // Without a norm, 400 blocks overflow: its steps would skip their backward pass, so it is refused.
        let diverging = try await reslab("bench", "--workload", "mlp-spiral", "--depth", "400", "--seconds", "0.01")
        #expect(diverging.status == 1 && diverging.stderr.contains("would skip the backward pass"), "\(diverging.stderr)")
        #expect(try await reslab("bench", "--depth", "0").status == 64)
        #expect(try await reslab("bench", "--width", "100000").status == 64)
    }

    /// `--batch` times a workload's step on that many samples: its figures
    /// count that batch's samples and arithmetic (`mlp-spiral`: 369 472
    /// operations a sample, 3 × (2·32 + 30·2·32·32 + 32·3) − 2·32 multiply-adds),
    /// and a batch that cannot make a step is refused.
    @Test func benchmarkRunsAWorkloadAtAGivenBatch() async throws {
        let result = try await reslab("bench", "--workload", "mlp-spiral", "--batch", "48", "--threads", "2",
                                      "--seconds", "0.01", "--rounds", "1", "--json")
        #expect(result.status == 0)
        let line = try #require(result.stdout.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let milliseconds = try #require(object["ms_per_step"] as? Double)
        #expect(object["batch"] as? Int == 48)
        let samples = (object["samples_per_s"] as? Double ?? 0) * milliseconds / 1000
        #expect(abs(samples - 48) <= 1e-6 * 48)
        for key in ["gflops", "useful_gflops"] {
            let operations = (object[key] as? Double ?? 0) * milliseconds * 1e6
            #expect(abs(operations - 48 * 369_472) <= 1e-6 * 48 * 369_472, "\(key): \(operations)")
        }
        for arguments in [["--batch", "1", "--threads", "1"], ["--batch", "65537"], ["--gemm", "--batch", "8"]] {
            let refused = try await reslab(arguments: ["bench"] + arguments)
            #expect(refused.status == 64 && refused.stderr.contains("Error: --batch"), "\(arguments): \(refused.stderr)")
        }
    }

    /// A workload's share of the peak (timed just before it, in each round)
    /// counts the arithmetic its step needs: exactly what the dense steps'
    /// products ran, and about three times the convolutional step's, whose
    /// Winograd tiles run a quarter to a third of the direct multiply-adds
    /// (a step that skipped its backward pass, as a diverged one does, would
    /// run a third of that; products over the padding between image rows
    /// would run more).
    @Test func workloadBenchmarkReportsItsShareOfThePeak() async throws {
        let result = try await reslab("bench", "--seconds", "0.01", "--rounds", "3", "--json")
        #expect(result.status == 0)
        let objects = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["workload"] as? String ?? "" } == ["fma-peak", "mlp-spiral", "mlp-fashion", "conv-fashion"])
        #expect((objects.first?["gflops"] as? Double ?? 0) > 0)
        for object in objects.dropFirst() {
            let peak = try #require(object["peak_gflops"] as? Double)
            let useful = try #require(object["useful_gflops"] as? Double)
            let counted = try #require(object["gflops"] as? Double)
            let fraction = try #require(object["peak_fraction"] as? Double)
            #expect(abs(fraction * peak - useful) <= 1e-9 * useful)
            // On two threads each figure says where its round found the CPUs.
            let threads = try #require(object["threads"] as? Int)
            #expect((object["round_trip_ns"] as? Int).map { $0 > 0 } ?? (threads == 1), "threads \(threads)")
            if object["workload"] as? String == "conv-fashion" {
                #expect(counted < 0.45 * useful && counted > 0.25 * useful, "useful \(useful), counted \(counted)")
            } else {
                #expect(abs(useful - counted) <= 1e-6 * counted, "useful \(useful), counted \(counted)")
            }
        }
    }

    /// On two threads a text line names the CPUs' placement and its round
    /// trip; on one, where no line crosses between cores, it names none.
    @Test func workloadBenchmarkNamesWhereTheCPUsSat() async throws {
        let one = try await reslab("bench", "--workload", "mlp-spiral", "--seconds", "0.01", "--rounds", "1",
                                   "--threads", "1")
        #expect(one.status == 0 && one.stdout.contains("of peak") && !one.stdout.contains("CPUs"))
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else { return }
        let two = try await reslab("bench", "--workload", "mlp-spiral", "--seconds", "0.01", "--rounds", "1",
                                   "--threads", "2")
        let line = try #require(two.stdout.split(separator: "\n").first { $0.hasPrefix("mlp-spiral") })
        #expect(line.contains("CPUs near each other (round trip ") || line.contains("CPUs far apart (round trip "),
                "\(line)")
    }

    /// `--contention` measures 1 thread and all of them beside one busy
    /// loop per core, and leaves no busy loop behind.
    @Test func contentionBenchmarkComparesThreadCountsBesideBusyLoops() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let result = try await reslab("bench", "--contention", "--workload", "mlp-spiral", "--seconds", "0.05",
                                      "--rounds", "1", "--json")
        #expect(result.status == 0)
        let objects = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.map { $0["threads"] as? Int } == [1, cores])
        #expect(objects.allSatisfy { $0["busy_neighbours"] as? Int == cores && ($0["samples_per_s"] as? Double ?? 0) > 0 })
        let loops = try await offPool { () -> String in
            let pgrep = Process()
            pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
            pgrep.arguments = ["-f", "while kill -0"]
            let out = Pipe()
            pgrep.standardOutput = out
            try pgrep.run()
            pgrep.waitUntilExit()
            return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        #expect(loops.isEmpty)
        #expect(try await reslab("bench", "--contention", "--gemm").status == 64)
    }
}

struct CheckpointCommandLineTests {
    @Test func saveThenLoadContinuesTheSameNetwork() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("model.safetensors").path
            let saved = try await reslab("train", "--depth", "3", "--width", "8", "--steps", "100", "--json", "--save", file)
            #expect(saved.status == 0)
            let loaded = try await reslab("train", "--load", file, "--steps", "1", "--json")
            #expect(loaded.status == 0)
            let last = try #require(saved.stdout.split(separator: "\n").last)
            let first = try #require(loaded.stdout.split(separator: "\n").first)
            let before = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
            let after = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
            #expect(before["val_acc"] as? Double == after["val_acc"] as? Double)
            #expect((after["block_modes"] as? [String])?.count == 3)
        }
    }

    @Test func loadingIntoADifferentArchitectureSaysWhatDiffers() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("model.safetensors").path
            #expect(try await reslab("train", "--depth", "2", "--width", "8", "--steps", "2", "--save", file).status == 0)
            let result = try await reslab("train", "--load", file, "--depth", "5")
            #expect(result.status == 1)
            #expect(result.stderr.contains("depth: checkpoint 2, requested 5"))
        }
    }

    @Test func missingDataDirectoryIsOneClearLine() async throws {
        let result = try await reslab("train", "--dataset", "mnist", "--data", "/nonexistent/mnist")
        #expect(result.status == 1)
        #expect(result.stderr == "error: /nonexistent/mnist: no such directory for mnist; pass --data DIR with the four IDX files\n")
    }

    @Test func unwritableSavePathIsRefusedBeforeTraining() async throws {
        let result = try await reslab("train", "--save", "/nonexistent/dir/model.safetensors")
        #expect(result.status == 64)
        #expect(result.stderr.contains("/nonexistent/dir does not exist"))
        #expect(result.stdout.isEmpty)
    }
}

struct ExperimentCommandLineTests {
    /// Runs `body` with the path of a freshly trained checkpoint, removed afterwards.
    func withTrainedCheckpoint(_ body: (String) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("trained.safetensors").path
            #expect(try await reslab("train", "--depth", "4", "--width", "16", "--steps", "300", "--save", file).status == 0)
            try await body(file)
        }
    }

    @Test func lesionPrintsKindedJSONForEveryExperiment() async throws {
        try await withTrainedCheckpoint { file in
            let result = try await reslab("lesion", "--load", file, "--k", "0,2,4", "--samples", "3", "--reorder", "--json")
            #expect(result.status == 0)
            let kinds = try result.stdout.split(separator: "\n").map { line -> String in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                return object["kind"] as? String ?? ""
            }
            #expect(kinds.first == "lesion-single")
            #expect(kinds.filter { $0 == "lesion-k" }.count == 3)
            #expect(kinds.filter { $0 == "lesion-reorder" }.count == 15)
            // Progress is drawn on a terminal only: a pipe or a log gets none of it.
            #expect(!result.stderr.contains("evaluating") && !result.stderr.contains("\u{1B}"))
            let shown = try await reslabOnATerminal("lesion", "--load", file, "--k", "0,2", "--samples", "3")
            #expect(shown.status == 0)
            #expect(shown.stdout.contains("evaluating") && shown.stdout.contains("\u{1B}[K"))
        }
    }

    @Test func pathsPrintsATableWithTheEffectiveRange() async throws {
        try await withTrainedCheckpoint { file in
            let result = try await reslab("paths", "--load", file, "--samples", "3")
            #expect(result.status == 0)
            #expect(result.stdout.contains("90 % of the gradient comes from paths of length"))
            #expect(result.stdout.split(separator: "\n").count >= 7)
        }
    }

    /// A preset's networks reach the experiment in memory: the command
    /// leaves nothing in the temporary directory.
    @Test func presetLesionLeavesNoCheckpointBehind() async throws {
        try await withTemporaryDirectory { directory in
            let result = try await reslab(arguments: ["lesion", "--preset", "vanishing", "--limit", "50", "--json"],
                                    environment: ["TMPDIR": directory.path])
            #expect(result.status == 0)
            #expect(result.stdout.contains("lesion-single"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [])
        }
    }

    @Test func experimentsRefuseBadArguments() async throws {
        try await withTrainedCheckpoint { file in
            let badK = try await reslab("lesion", "--load", file, "--k", "1,99")
            #expect(badK.status == 64)
            #expect(badK.stderr.contains("--k takes numbers from 0 to 4"))
            let missing = try await reslab("paths", "--load", "/nonexistent.safetensors")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("/nonexistent.safetensors: cannot be read (No such file or directory)"))
            let directory = try await reslab("lesion", "--load", "/")
            #expect(directory.status == 1 && directory.stderr.contains("/: cannot be read (Is a directory)"))
            #expect(try await reslab("lesion").status == 64)
            // Repeats and batches that would run for days or exhaust memory.
            for command in ["lesion", "paths"] {
                let endless = try await reslab(command, "--load", file, "--samples", "100000000")
                #expect(endless.status == 64 && endless.stderr.contains("--samples 100000000 is more than an experiment draws (at most 10000)"))
                #expect(endless.stdout.isEmpty)
            }
        }
    }

    /// `paths` sends its batch forward at once, at most the training split:
    /// 2400 points through a small dense net are megabytes, 9600 images
    /// through a convolutional one more than 2 GB.
    @Test func aPathBatchIsRefusedOnlyWhenItsActivationsWouldNotFit() async throws {
        try await withTemporaryDirectory { directory in
            let conv = directory.appendingPathComponent("conv.safetensors").path
            #expect(try await reslab("train", "--dataset", "shapes", "--model", "conv", "--steps", "2", "--save", conv).status == 0)
            let tooLarge = try await reslab("paths", "--load", conv, "--batch", "1000000000", "--samples", "1")
            #expect(tooLarge.status == 64)
            #expect(tooLarge.stderr.contains("--batch 1000000000: 9600 samples at once would need more than 2 GB of activations"))
            let dense = directory.appendingPathComponent("dense.safetensors").path
            #expect(try await reslab("train", "--depth", "2", "--width", "8", "--steps", "2", "--save", dense).status == 0)
            #expect(try await reslab("paths", "--load", dense, "--batch", "1000000000", "--samples", "1").status == 0)
        }
    }
}
