import Foundation

/// Runs blocking `work` (waiting for a child process, reading a pipe) on a
/// thread of its own and suspends until it is done. Swift's cooperative
/// pool has one thread per core, so a test that blocked one of them for a
/// minute would stall every other test's awaits meanwhile.
public func offPool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Swift.Result { try work() })
        }.start()
    }
}
