import Foundation
import Kernels
import Synchronization

/// A serial executor with a thread of its own: an actor that uses it runs
/// all its work on that one thread.
///
/// The engine yields after every training step, and on Swift's shared
/// threads it would carry on wherever one is free, moving between them all
/// the time. Each thread allocates from its own malloc arena, and an arena
/// keeps what is freed in it for its own next requests, so every thread the
/// engine passed through came to hold a training step's worth of freed
/// activations. On one thread, a step reuses the memory the last one freed.
public final class EngineThread: SerialExecutor {
    private let jobs = Mutex<[UnownedJob]>([])
    /// Signalled once per job queued, and once to stop: a signal that finds
    /// no job waiting is the one to stop.
    private let signals = DispatchSemaphore(value: 0)

    /// Starts the thread, named `name`.
    public init(name: String) {
        // The thread keeps the executor alive until `stop`.
        Thread { [self] in
            nameCurrentThread(name)
            // The engine computes here alongside the pool's workers, which flush too.
            flushSubnormalsOnThisThread()
            runJobs()
        }.start()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        signals.signal()
    }

    /// Lets the thread end once the jobs queued before have run.
    public func stop() {
        signals.signal()
    }

    private func runJobs() {
        while true {
            signals.wait()
            guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return }
            job.runSynchronously(on: asUnownedSerialExecutor())
        }
    }
}
