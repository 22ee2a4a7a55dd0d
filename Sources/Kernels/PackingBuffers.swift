#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The memory GEMM packs its panels into: one buffer per thread, allocated
/// by the thread's first product and kept until the thread ends, so that a
/// training step's matrix products allocate nothing.
///
/// A buffer holds the largest packed A block (`rowBlock × deepestBlock`) and
/// the largest packed B block (`depthBlock × columnBlock`) that
/// `GemmOperands.compute` fills. A thread runs one `compute` at a time, so it
/// never needs two.
enum PackingBuffers {
    static let aCapacity = rowBlock * deepestBlock
    static let bCapacity = depthBlock * columnBlock

    /// Where each thread keeps its buffer; the buffer is freed when its thread ends.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { buffer in buffer?.deallocate() }
        precondition(status == 0, "no thread-specific key for GEMM's packing buffers (error \(status))")
        return key
    }()

    /// Runs `body` with room for a packed A block and a packed B block.
    static func withBuffers<Result>(_ body: (_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>) -> Result)
        -> Result {
        let buffer: UnsafeMutablePointer<Float>
        if let kept = pthread_getspecific(key) {
            buffer = kept.assumingMemoryBound(to: Float.self)
        } else {
            buffer = .allocate(capacity: aCapacity + bCapacity)
            pthread_setspecific(key, buffer)
        }
        return body(buffer, buffer + aCapacity)
    }
}
