import Foundation
import Lab
import Testing

/// An actor on an `EngineThread`, which reports where its work runs.
private actor Probe {
    let thread: EngineThread
    nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }

    init(threadName: String) { thread = EngineThread(name: threadName) }

    func currentThreadName() -> String? { threadName(at: "/proc/thread-self/comm") }
}

/// A thread's name as the kernel knows it, from its `comm` file.
private func threadName(at path: String) -> String? {
    try? String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// The names of this process's threads (those that end while being listed
/// are left out).
private func threadNames() throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap {
        threadName(at: "/proc/self/task/\($0)/comm")
    }
}

@Suite struct EngineThreadTests {
    /// Every job of the actor, before and after each suspension, runs on
    /// the executor's own thread, never on Swift's shared ones.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/thread-self/comm")))
    func anActorOnItRunsEveryJobOnThatThread() async {
        let probe = Probe(threadName: "probe-jobs")
        for _ in 0..<20 {
            let current = await probe.currentThreadName()
            #expect(current == "probe-jobs")
            await Task.yield()
        }
        probe.thread.stop()
    }

    /// The thread ends once stopped, so an engine leaves none behind.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/thread-self/comm")))
    func theThreadEndsWhenStopped() async throws {
        let name = "probe-\(Int.random(in: 1000..<10000))"
        let probe = Probe(threadName: name)
        let current = await probe.currentThreadName()
        #expect(current == name)
        #expect(try threadNames().contains(name))
        probe.thread.stop()
        var waited = 0
        while try threadNames().contains(name) && waited < 200 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(try !threadNames().contains(name))
    }
}
