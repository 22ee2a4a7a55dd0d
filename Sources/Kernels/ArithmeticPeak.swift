/// A loop of fused multiply-adds that never touches memory: twelve
/// independent 16-lane chains, enough to hide the latency of each, so that
/// it runs at the core's arithmetic peak. The GEMM is judged against it.
///
/// Each chain iterates `a ← 1 + a/2`, which stays near 2 (no overflow, no
/// subnormals). Returns a value that depends on every operation, so none is
/// optimised away.
func fusedMultiplyAddLoop(iterations: Int, seed: Float) -> Float {
    let (half, one) = (SIMD16<Float>(repeating: 0.5), SIMD16<Float>(repeating: 1))
    var a0 = SIMD16<Float>(repeating: seed), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3
    var a4 = a0 + 4, a5 = a0 + 5, a6 = a0 + 6, a7 = a0 + 7
    var a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
    for _ in 0..<iterations {
        a0 = one.addingProduct(a0, half); a1 = one.addingProduct(a1, half)
        a2 = one.addingProduct(a2, half); a3 = one.addingProduct(a3, half)
        a4 = one.addingProduct(a4, half); a5 = one.addingProduct(a5, half)
        a6 = one.addingProduct(a6, half); a7 = one.addingProduct(a7, half)
        a8 = one.addingProduct(a8, half); a9 = one.addingProduct(a9, half)
        a10 = one.addingProduct(a10, half); a11 = one.addingProduct(a11, half)
    }
    return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).sum()
}

/// Floating-point operations of one iteration of `fusedMultiplyAddLoop`.
public let fusedMultiplyAddLoopOperations = 12 * 16 * 2

/// `fusedMultiplyAddLoop` on every thread of the worker pool at once, part
/// `i` seeded with `i`; returns part 0's value.
public func fusedMultiplyAddLoopOnEveryThread(iterations: Int) -> Float {
    var first: Float = 0
    withUnsafeMutablePointer(to: &first) { first in
        WorkerPool.shared.run(FusedMultiplyAddLoops(iterations: iterations, first: first))
    }
    return first
}

/// One `fusedMultiplyAddLoop` per part, part 0's value stored in `first`.
private struct FusedMultiplyAddLoops: ParallelWork {
    let iterations: Int, first: UnsafeMutablePointer<Float>

    func run(part: Int) {
        let value = fusedMultiplyAddLoop(iterations: iterations, seed: Float(part))
        if part == 0 { first.pointee = value }
    }
}
