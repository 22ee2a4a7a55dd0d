import Foundation
import Kernels
import Synchronization
import Testing

struct WorkerPoolTests {
    /// Parts go to whichever thread claims them first, yet every part of
    /// every job runs exactly once, for `run` and for independent shards.
    @Test(.enabled(if: WorkerPool.shared.capacity >= 2))
    func everyPartRunsExactlyOnce() {
        let counts = PartCounts()
        let jobs = 5_000
        WorkerPool.withThreads(2) {
            for job in 0..<jobs {
                if job % 2 == 0 { WorkerPool.shared.run(counts) } else { WorkerPool.shared.runShards(2, independent: true, counts) }
            }
        }
        #expect(counts.first.load(ordering: .relaxed) == jobs && counts.second.load(ordering: .relaxed) == jobs)
    }

    /// Work that counts its runs of part 0 in `first` and of the others in `second`.
    private final class PartCounts: ParallelWork, Sendable {
        let first = Atomic<Int>(0), second = Atomic<Int>(0)
        func run(part: Int) {
            if part == 0 { first.add(1, ordering: .relaxed) } else { second.add(1, ordering: .relaxed) }
        }
    }

    /// A waiter that has stopped spinning and sleeps is woken by `advance`.
    @Test func aSleepingWaiterWakesWhenTheCountAdvances() async throws {
        let counter = EventCounter()
        let seen = Atomic<Int>(-1)
        let done = DispatchSemaphore(value: 0)
        Thread {
            seen.store(counter.wait { $0 >= 1 }, ordering: .relaxed)
            done.signal()
        }.start()
        // Longer than the longest spin (1 ms): the waiter is asleep by now.
        try await Task.sleep(for: .milliseconds(50))
        #expect(seen.load(ordering: .relaxed) == -1)
        counter.advance()
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(seen.load(ordering: .relaxed) == 1)
    }

    /// An idle worker's spin halves with every job the system interrupted,
    /// down to the shortest, and grows back while none is.
    @Test func idleSpinShortensWhileTheMachineIsBusy() {
        let switches = Mutex(0)
        var spin = IdleSpin(countingPreemptions: { switches.withLock { $0 } })
        #expect(spin.nanoseconds == EventCounter.longestSpin)
        for _ in 0..<20 {
            switches.withLock { $0 += 1 }
            spin.update()
        }
        #expect(spin.nanoseconds == EventCounter.shortestSpin)
        spin.update()
        #expect(spin.nanoseconds == EventCounter.shortestSpin + EventCounter.shortestSpin / 8)
        for _ in 0..<100 { spin.update() }
        #expect(spin.nanoseconds == EventCounter.longestSpin)
        switches.withLock { $0 += 1 }
        spin.update(keepingLongest: true)
        #expect(spin.nanoseconds == EventCounter.longestSpin)
    }
}
