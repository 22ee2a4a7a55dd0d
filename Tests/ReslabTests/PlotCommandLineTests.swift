import Foundation
import Testing
import TestSupport

/// `--plot`, `--plot-dir` and `--plot-theme` on `train`, `lesion` and `paths`.
struct PlotCommandLineTests {
    /// The files in `directory`, sorted.
    static func files(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test func everyCommandWritesItsChartsWithTheirData() async throws {
        try await withTemporaryDirectory { directory in
            let checkpoint = directory.appendingPathComponent("net.safetensors").path
            let trained = directory.appendingPathComponent("train")
            let train = try await reslab("train", "--depth", "4", "--width", "8", "--steps", "200", "--twin", "--save", checkpoint,
                                         "--plot-dir", trained.path, "--plot-theme", "dark")
            #expect(train.status == 0, "\(train.stderr)")
            #expect(try Self.files(trained) == ["gradient-norms.csv", "gradient-norms.svg", "train-accuracy.csv", "train-accuracy.svg",
                                                "train-loss.csv", "train-loss.svg"])
            #expect(train.stdout.contains("· wrote \(trained.path)/train-loss.svg (and .csv)"))
            let loss = try String(contentsOf: trained.appendingPathComponent("train-loss.svg"), encoding: .utf8)
            #expect(loss.contains("residual train") && loss.contains("plain val") && loss.contains("#1b1d23"))

            let lesioned = directory.appendingPathComponent("lesion")
            let single = directory.appendingPathComponent("single.svg")
            // `--plot-dir` runs the k-deletion curve and the reordering for their figures.
            let lesion = try await reslab("lesion", "--load", checkpoint, "--samples", "2",
                                          "--plot-dir", lesioned.path, "--plot", single.path, "--json")
            #expect(lesion.status == 0, "\(lesion.stderr)")
            #expect(try Self.files(lesioned) == ["lesion-k.csv", "lesion-k.svg", "lesion-reorder.csv", "lesion-reorder.svg",
                                                 "lesion-single.csv", "lesion-single.svg"])
            // JSON lines stay JSON lines: no "wrote" line among them.
            #expect(lesion.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix("{") })
            #expect(try Data(contentsOf: single) == Data(contentsOf: lesioned.appendingPathComponent("lesion-single.svg")))
            let csv = try String(contentsOf: lesioned.appendingPathComponent("lesion-k.csv"), encoding: .utf8)
            // k = 0, 1, 2 and 4 of the 4 blocks.
            #expect(csv.hasPrefix("series,blocks deleted (k),test accuracy,error\n") && csv.split(separator: "\n").count == 5)

            let paths = directory.appendingPathComponent("paths")
            #expect(try await reslab("paths", "--load", checkpoint, "--samples", "2", "--plot-dir", paths.path).status == 0)
            #expect(try Self.files(paths).filter { $0.hasSuffix(".svg") } == ["paths-distribution.svg", "paths-gradient.svg", "paths-total.svg"])
        }
    }

    @Test func aPlotThatIsNotAnSVGFileNameIsRefused() async throws {
        let result = try await reslab("train", "--steps", "5", "--plot", "loss.png")
        #expect(result.status == 64 && result.stderr.contains("--plot takes a file name ending in .svg"))
        #expect(try await reslab("train", "--steps", "5", "--plot-theme", "sepia").status == 64)
    }

    /// Chart paths that cannot be written are refused before training, in one line.
    @Test func unwritablePlotPathsAreRefusedBeforeTraining() async throws {
        try await withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("notes.txt")
            try Data("a file, not a directory".utf8).write(to: file)
            let charts = file.appendingPathComponent("charts").path
            let underAFile = try await reslab("train", "--steps", "5", "--plot-dir", charts)
            #expect(underAFile.status == 64)
            #expect(underAFile.stderr.contains("--plot-dir \(charts): \(file.path) is not a writable directory"))
            #expect(underAFile.stdout.isEmpty)
            let fileForDirectory = try await reslab("train", "--steps", "5", "--plot-dir", file.path)
            #expect(fileForDirectory.status == 64 && fileForDirectory.stderr.contains("it is not a writable directory"))
            let missing = directory.appendingPathComponent("missing/loss.svg").path
            let noDirectory = try await reslab("train", "--steps", "5", "--plot", missing)
            #expect(noDirectory.status == 64 && noDirectory.stderr.contains("does not exist or is not writable"))
            #expect(noDirectory.stdout.isEmpty)
            let aDirectory = directory.appendingPathComponent("folder.svg")
            try FileManager.default.createDirectory(at: aDirectory, withIntermediateDirectories: false)
            let notAFile = try await reslab("train", "--steps", "5", "--plot", aDirectory.path)
            #expect(notAFile.status == 64 && notAFile.stderr.contains("it exists and is not a regular file"))
            // Empty paths, and names longer than the system allows, fail before training too.
            for (option, path) in [("--plot-dir", ""), ("--save", ""),
                                   ("--plot", directory.path + "/" + String(repeating: "a", count: 300) + ".svg"),
                                   ("--plot-dir", directory.path + String(repeating: "/d", count: 3000))] {
                let refused = try await reslab("train", "--steps", "5", option, path)
                #expect(refused.status == 64, "\(option) \(path.prefix(80))")
                #expect(refused.stderr.contains("needs a path") || refused.stderr.contains("longer than this system allows"))
                #expect(refused.stdout.isEmpty)
            }
        }
    }
}
