import Synchronization

/// The memory GEMM packs its panels into, allocated once and lent out call
/// by call, so that a training step's matrix products allocate nothing.
///
/// Each lent buffer holds the largest packed A block (`rowBlock × depthBlock`)
/// and the largest packed B block (`depthBlock × columnBlock`) that
/// `GemmOperands.compute` ever fills. A call takes a spare buffer, or
/// allocates one when every buffer is lent (the first calls on each
/// thread), and gives it back when done; there are never more buffers than
/// threads that have multiplied at the same time.
enum PackingBuffers {
    static let aCapacity = rowBlock * depthBlock
    static let bCapacity = depthBlock * columnBlock

    /// One buffer's memory. Safe to send between threads because a buffer
    /// is reachable from one place at a time: the spare list (under its
    /// lock) or the one call that took it out and alone writes into it until
    /// it puts it back.
    private struct Buffer: @unchecked Sendable {
        let start: UnsafeMutablePointer<Float>
    }

    /// Buffers not lent right now.
    private static let spare = Mutex<[Buffer]>([])

    /// Runs `body` with room for a packed A block and a packed B block.
    static func withBuffers<Result>(_ body: (_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>) -> Result)
        -> Result {
        let buffer = spare.withLock { $0.popLast() }
            ?? Buffer(start: .allocate(capacity: aCapacity + bCapacity))
        defer { spare.withLock { $0.append(buffer) } }
        return body(buffer.start, buffer.start + aCapacity)
    }
}
