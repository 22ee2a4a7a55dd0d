import Foundation
import RunProtocol
import Testing
import TestSupport

/// A tmux session on its own server, driving the real `reslab` binary the
/// way a person would: keys in, screen text out.
final class TmuxSession {
    let socket = "reslab-test-\(UUID().uuidString.prefix(8))"

    init(command: String, width: Int = 120, height: Int = 36, environment: String = "") throws {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        // The shell reports how the program ended, and whether the terminal is
        // back in its normal (canonical, echoing) mode.
        let script = "cd \(products) && TERM=xterm-256color \(environment) ./reslab \(command); echo EXITED $?; stty -a | grep -o ' icanon'; sleep 60"
        try tmux(["new-session", "-d", "-s", "t", "-x", "\(width)", "-y", "\(height)", script])
    }

    /// Stops the server and the program in it, and removes the server's socket.
    deinit {
        let socketPath = (try? tmux(["display-message", "-p", "#{socket_path}"]))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try? tmux(["kill-server"])
        if let socketPath, !socketPath.isEmpty { try? FileManager.default.removeItem(atPath: socketPath) }
    }

    /// Runs `tmux -L socket arguments…`. It goes through bash, which first
    /// closes every inherited descriptor above 2: a tmux server started from
    /// this process would otherwise keep the test runner's pipes open, and
    /// Foundation's `Process` would wait for it forever. Then Perl (part of
    /// every Debian system) clears the signal mask, which the server would
    /// otherwise inherit from the test runner's thread with SIGTERM, SIGHUP
    /// and SIGCHLD blocked: neither `kill-server` (the server signals itself)
    /// nor its program ending would then stop it.
    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let closeInherited = "for fd in $(ls /proc/$$/fd); do if [ \"$fd\" -gt 2 ]; then eval \"exec $fd>&-\"; fi; done 2>/dev/null; "
        let clearSignalMask = "exec /usr/bin/perl -MPOSIX -e 'sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die; exec @ARGV' "
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", closeInherited + clearSignalMask + "/usr/bin/tmux \"$@\"", "tmux", "-L", socket] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    var screen: String { (try? tmux(["capture-pane", "-p", "-t", "t"])) ?? "" }

    func send(_ keys: String...) throws { try tmux(["send-keys", "-t", "t"] + keys) }

    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", "t", "-x", "\(width)", "-y", "\(height)"])
    }

    /// Waits up to `seconds` for the header to show training under way (a step past 0).
    func waitForTraining(seconds: Double = 45) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if screen.contains(/step [1-9]/) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Waits up to `seconds` for `text` to appear on screen.
    func waitFor(_ text: String, seconds: Double = 45) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if screen.contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

// Generous limits: these tests share the machine with the rest of the suite.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct DashboardEndToEndTests {
    @Test func lesionsHelpResizeAndQuitLikeAPerson() async throws {
        try await withTemporaryDirectory { directory in
            let checkpoint = directory.appendingPathComponent("dash.safetensors").path
            let session = try TmuxSession(command: "--depth 6 --steps 100000 --save \(checkpoint)")
            #expect(await session.waitFor("▶ training"))
            #expect(await session.waitForTraining())
            try session.send("j", "d")
            #expect(await session.waitFor("block 2 deleted · val acc"))
            #expect(session.screen.contains("▸02 ✕"))
            #expect(await session.waitFor("╍╍ lesioned"))
            try session.send("d")
            #expect(await session.waitFor("block 2 residual · val acc"))
            try session.send("s")
            #expect(await session.waitFor("block 2 plain · val acc"))
            #expect(session.screen.contains("▸02 ○"))
            try session.send("Space")
            #expect(await session.waitFor("⏸ paused"))
            try session.send("?")
            #expect(await session.waitFor("Scope is EVALUATION ONLY"))
            try session.send("?", "m")
            #expect(await session.waitFor("scope: TRAIN + eval"))
            try session.send("w")
            #expect(await session.waitFor("saved checkpoint \(checkpoint)"))
            #expect(FileManager.default.fileExists(atPath: checkpoint))
            try session.send("t")
            #expect(await session.waitFor("‖∂L/∂W‖ per block"))
            try session.send("L")
            #expect(await session.waitFor("lesion sweep: intact"))
            #expect(session.screen.contains("one block deleted · intact"))
            try session.resize(width: 50, height: 12)
            #expect(await session.waitFor("enlarge terminal to 60×16 (now 50×12)"))
            try session.resize(width: 120, height: 36)
            #expect(await session.waitFor("‖∂L/∂W‖ per block"))
            try session.send("q")
            #expect(await session.waitFor("EXITED 0"))
            #expect(await session.waitFor(" icanon"))
        }
    }

    /// In a locale that is not UTF-8 the screen is drawn in ASCII, says so,
    /// and keys work as ever; ncurses would otherwise show every byte of the
    /// box lines and plots as an escape (`~T~@`).
    @Test func aLocaleWithoutUTF8GetsAnAsciiScreen() async throws {
        let session = try TmuxSession(command: "--depth 4 --steps 100000", width: 100, height: 30,
                                      environment: "LANG=C LC_ALL=C")
        #expect(await session.waitFor("> training"))
        #expect(await session.waitFor("no UTF-8 locale: ASCII screen"))
        #expect(session.screen.contains("+- loss (log)"))
        #expect(session.screen.contains("|dL/dW| per block"))
        #expect(!session.screen.contains("~T"))
        try session.send("j", "d")
        #expect(await session.waitFor("block 2 deleted . val acc"))
        try session.send("q")
        #expect(await session.waitFor("EXITED 0"))
        #expect(await session.waitFor(" icanon"))
    }

    /// A dashboard on a `serve --listen` engine whose terminal closes
    /// (SIGHUP) lets go of the run without ending it: the engine keeps
    /// training, and the next dashboard shows the run from its first step
    /// (every replayed evaluation is a point of its curves) and its log.
    @Test func aClosedTerminalLeavesAListeningRunForTheNextDashboard() async throws {
        let server = try ListeningServer(["--depth", "4", "--steps", "1000000", "--eval-every", "10", "--threads", "1"])
        let first = try TmuxSession(command: "--engine tcp://127.0.0.1:\(server.port)")
        #expect(await first.waitForTraining())
        // Long enough for a hundred evaluations or more.
        try await Task.sleep(for: .seconds(2))
        try first.tmux(["kill-session", "-t", "t"])
        try await Task.sleep(for: .seconds(1))
        #expect(server.process.isRunning, "the server ended with the first dashboard")
        let next = try TmuxSession(command: "--engine tcp://127.0.0.1:\(server.port)")
        #expect(await next.waitFor("training spirals · dense · 4 blocks"))
        // The loss chart's step axis starts at the run's step 0, not where this screen came in.
        // (The loss chart's axis line ends where the next panel begins: "│       0      …      2070││".)
        #expect(next.screen.contains(/│ +0 +[0-9]+││/), "\(next.screen)")
        try next.send("q")
        #expect(await next.waitFor("EXITED 0"))
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
    }

    /// Ctrl-C and SIGTERM restore the terminal and exit as shells expect: 130 and 143.
    @Test func interruptAndTerminateRestoreTheTerminalWithTheirStatus() async throws {
        let interrupted = try TmuxSession(command: "--depth 4")
        #expect(await interrupted.waitForTraining())
        try interrupted.send("C-c")
        #expect(await interrupted.waitFor("EXITED 130"))
        #expect(await interrupted.waitFor(" icanon"))
        let terminated = try TmuxSession(command: "--depth 4")
        #expect(await terminated.waitForTraining())
        let shell = try terminated.tmux(["display-message", "-p", "#{pane_pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let pkill = Process()
        pkill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
        pkill.arguments = ["-TERM", "-P", shell, "-x", "reslab"]
        try pkill.run()
        pkill.waitUntilExit()
        #expect(await terminated.waitFor("EXITED 143"))
        #expect(await terminated.waitFor(" icanon"))
    }

    /// The acceptance run of the vanishing lesson at 130×42, pressing
    /// nothing: every bar of both nets on screen, the verdict, and, without
    /// colour, the series told apart by their line styles.
    @Test func vanishingLessonEndsWithBothNetsAndTheVerdict() async throws {
        let session = try TmuxSession(command: "--preset vanishing", width: 130, height: 42, environment: "NO_COLOR=1")
        #expect(await session.waitFor("chance 33.3 %", seconds: 90))
        let screen = session.screen
        #expect(screen.contains("test accuracy: residual") && screen.contains("plain twin"))
        #expect(screen.contains("sigmoid · no norm"))
        let residualBars = screen.matches(of: /\d\d ● [█▏▎▍▌▋▊▉]/).count
        let plainBars = screen.matches(of: /\d\d ○ [█▏▎▍▌▋▊▉]/).count
        #expect(residualBars == 20 && plainBars == 20, "\(residualBars) and \(plainBars) bars:\n\(screen)")
        #expect(screen.contains("━━ train") && screen.contains("┈┈ val") && screen.contains("─ ─ plain twin"))
        try session.send("q")
        #expect(await session.waitFor("EXITED 0"))
    }

    /// The dashboard attached to `reslab serve` in a child process shows the
    /// same run as in-process: same seed and threads, same keys, same events
    /// and accuracies.
    @Test func attachedDashboardShowsTheSameRunAsInProcess() async throws {
        let run = "--depth 4 --steps 200 --threads 1 --seed 5"
        let local = try TmuxSession(command: run)
        let attached = try TmuxSession(command: "--engine './reslab serve \(run)'")
        func finished(_ session: TmuxSession) async -> String? {
            guard await session.waitFor("■ finished", seconds: 60) else { return nil }
            return session.screen.firstMatch(of: /finished at step 200: test acc [0-9.]+ %/).map { String($0.output) }
        }
        let expected = try #require(await finished(local))
        #expect(await finished(attached) == expected)
        for session in [local, attached] { try session.send("j", "d") }
        func deletion(_ session: TmuxSession) async -> String? {
            guard await session.waitFor("block 2 deleted · val acc") else { return nil }
            return session.screen.firstMatch(of: /block 2 deleted · val acc [0-9.]+ % → [0-9.]+ %/).map { String($0.output) }
        }
        let change = try #require(await deletion(local))
        #expect(await deletion(attached) == change)
        #expect(attached.screen.contains("▸02 ✕"))
        try attached.send("q")
        #expect(await attached.waitFor("EXITED 0"))
    }

    /// The dashboard attached to PyTorch on two gloo ranks under torchrun
    /// (`reslab_torch serve`): `j j d` deletes block 3 on both ranks, and the
    /// event log shows the deletion with the accuracy before and after.
    @Test func dashboardDrivesTwoTorchRanks() async throws {
        try await requirePythonModules(["torch", "numpy", "safetensors"])
        let torchrun = testPython.map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("torchrun").path }
            ?? "torchrun"
        let package = repositoryRoot.appendingPathComponent("Sources/reslab-torch").path
        let engine = "\(torchrun) --nproc_per_node 2 -m reslab_torch serve --model resnet20 --dataset fashion-mnist --threads 1"
        let session = try TmuxSession(command: "--engine '\(engine)'", environment: "OMP_NUM_THREADS=1 PYTHONPATH=\(package)")
        #expect(await session.waitForTraining(seconds: 120))
        #expect(session.screen.contains("resnet20 · 9 blocks · 2 ranks (gloo)"))
        for key in ["j", "j", "d"] { try session.send(key) }
        #expect(await session.waitFor("block 3 deleted · val acc", seconds: 90))
        #expect(session.screen.contains(/block 3 deleted · val acc [0-9.]+ % → [0-9.]+ %/))
        #expect(session.screen.contains("▸03 ✕"))
        try session.send("q")
        #expect(await session.waitFor("EXITED 0", seconds: 60))
    }

    /// An engine that exits mid-run leaves the last screen up with the
    /// reason; `q` still restores the terminal.
    @Test func anEngineThatExitsKeepsTheLastScreen() async throws {
        let session = try TmuxSession(command: "--engine 'timeout 4 ./reslab serve --depth 4 --steps 1000000 --threads 1'")
        #expect(await session.waitForTraining())
        #expect(await session.waitFor("engine exited (status 124)", seconds: 30))
        #expect(session.screen.contains("‖∂L/∂W‖ per block"))
        try session.send("q")
        #expect(await session.waitFor("EXITED 0"))
        #expect(await session.waitFor(" icanon"))
    }

    /// `--save F` writes F when the run finishes, with no key pressed.
    @Test func saveWritesTheCheckpointWhenTheRunFinishes() async throws {
        try await withTemporaryDirectory { directory in
            let checkpoint = directory.appendingPathComponent("end.safetensors").path
            let session = try TmuxSession(command: "--depth 4 --steps 50 --save \(checkpoint)")
            #expect(await session.waitFor("■ finished"))
            #expect(await session.waitFor("saved checkpoint \(checkpoint) at step 50"))
            #expect(FileManager.default.fileExists(atPath: checkpoint))
            try session.send("q")
            #expect(await session.waitFor("EXITED 0"))
        }
    }

    /// `x` writes the screen as it looks, beside the `--save` checkpoint,
    /// and the event log names the file.
    @Test func xWritesTheScreenAsSVG() async throws {
        try await withTemporaryDirectory { directory in
            let checkpoint = directory.appendingPathComponent("run.safetensors").path
            let session = try TmuxSession(command: "--depth 4 --steps 50 --save \(checkpoint)")
            #expect(await session.waitFor("■ finished"))
            try session.send("x")
            // The event log wraps the long temporary path: look for its start.
            #expect(await session.waitFor("wrote the screen to"))
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".svg") }
            #expect(files.count == 1 && files[0].hasPrefix("reslab-screen-step50-"))
            let svg = try String(contentsOf: directory.appendingPathComponent(files.first ?? "none"), encoding: .utf8)
            #expect(svg.hasPrefix("<svg") && svg.contains("finished") && svg.contains("monospace") && svg.contains("┌"))
            try session.send("q")
            #expect(await session.waitFor("EXITED 0"))
        }
    }

    /// A screen that cannot be written is said so in the event log, in the
    /// system's words, and the dashboard goes on.
    @Test func anUnwritableScreenIsToldInTheSystemsWords() async throws {
        // A short directory name and a wide screen, so that the whole line fits the event log.
        let directory = URL(fileURLWithPath: "/tmp/rl\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        let session = try TmuxSession(command: "--depth 4 --steps 50 --save \(directory.path)/run.safetensors", width: 160)
        #expect(await session.waitFor("■ finished"))
        try FileManager.default.removeItem(at: directory)
        try session.send("x")
        #expect(await session.waitFor("could not write the screen"))
        #expect(await session.waitFor("No such file or directory"))
        #expect(!session.screen.contains("couldn’t be saved"))
        try session.send("q")
        #expect(await session.waitFor("EXITED 0"))
    }

    @Test func divergenceShowsTheBanner() async throws {
        let session = try TmuxSession(command: "--depth 4 --norm none --schedule constant --lr 100000")
        #expect(await session.waitFor("✕ diverged"))
        #expect(session.screen.contains("then R to reset"))
        try session.send("q")
        #expect(await session.waitFor("EXITED 0"))
    }

    @Test func unknownTerminalTypeIsExplained() async throws {
        let session = try TmuxSession(command: "--depth 4 2>&1 | cat; TERM=nonsense-term ./reslab; TERM=dumb ./reslab")
        #expect(await session.waitFor("TERM=nonsense-term is unknown"))
        #expect(await session.waitFor("TERM=dumb cannot move the cursor"))
    }

    /// A session that ends while the program still trains takes the
    /// program and its tmux server with it, so that a failed test leaves
    /// nothing running.
    @Test func endingASessionStopsTheProgramAndTheServer() async throws {
        var processes: [pid_t] = []
        do {
            let session = try TmuxSession(command: "--depth 4 --steps 1000000")
            #expect(await session.waitForTraining())
            processes = try session.tmux(["display-message", "-p", "#{pid} #{pane_pid}"])
                .split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        #expect(processes.count == 2)
        let deadline = Date().addingTimeInterval(10)
        while processes.contains(where: { kill($0, 0) == 0 }) && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(processes.allSatisfy { kill($0, 0) != 0 }, "still running: \(processes.filter { kill($0, 0) == 0 })")
    }
}

struct DashboardWithoutTerminalTests {
    @Test func pipedOutputPointsToTrain() async throws {
        let result = try await reslab("--depth", "4")
        #expect(result.status == 1)
        #expect(result.stderr.contains("use `reslab train`"))
    }
}
