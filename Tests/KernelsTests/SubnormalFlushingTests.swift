import Kernels
import Synchronization
import Testing

/// Every thread that computes inside `WorkerPool.withThreads` flushes
/// subnormal floats to zero, and the caller gets its own mode back after.
struct SubnormalFlushingTests {
    /// A quarter of the smallest normal float: subnormal, unless the thread
    /// flushes it to zero. Read through an atomic, so that the compiler
    /// cannot work it out before the thread runs it.
    private static let smallestNormalBits = Atomic<UInt32>(Float.leastNormalMagnitude.bitPattern)
    static func quarterOfTheSmallestNormal() -> Float {
        Float(bitPattern: smallestNormalBits.load(ordering: .relaxed)) * 0.25
    }

    @Test(.enabled(if: WorkerPool.shared.capacity >= 2))
    func workersAndTheCallerFlushInsideWithThreadsOnly() {
        let results = PartResults()
        WorkerPool.withThreads(2) {
            // Parts that meet run one per thread: part 1 on a worker.
            WorkerPool.shared.runShards(2, independent: false, results)
        }
        #expect(results.values.withLock { $0 } == [0, 0])
        let outside = Self.quarterOfTheSmallestNormal()
        #expect(outside > 0 && outside < Float.leastNormalMagnitude, "the caller's own mode is restored")
    }

    /// Work whose part `i` stores `quarterOfTheSmallestNormal()` in `values[i]`.
    private final class PartResults: ParallelWork, Sendable {
        let values = Mutex<[Float]>([-1, -1])
        func run(part: Int) {
            let value = SubnormalFlushingTests.quarterOfTheSmallestNormal()
            values.withLock { $0[part] = value }
        }
    }
}
