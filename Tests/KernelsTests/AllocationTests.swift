import AllocationCounter
import Testing
import Kernels

/// Kernels that a training step calls hundreds of times must not ask the
/// allocator for memory each time. The counter sees the calling thread's
/// calls to malloc and its kin (see `Tests/AllocationCounter`).
struct AllocationTests {
    /// Allocations `body` makes on this thread.
    private func allocations(_ body: () -> Void) -> Int {
        let before = reslab_thread_allocations()
        body()
        return reslab_thread_allocations() - before
    }

    @Test func theCounterSeesAnArrayBeingAllocated() {
        var sink: Float = 0
        let count = allocations {
            let fresh = [Float](repeating: 2, count: 1000 + Int(sink))
            sink += fresh[999]
        }
        #expect(count >= 1)
        #expect(sink == 2)
    }

    /// Products with packed A and packed B panels (both transposed) and with
    /// B read in place: after a first call has set up the packing buffers,
    /// none allocates, and the results stay right.
    @Test(arguments: [(Transpose.transposed, Transpose.transposed, 300), (.none, .none, 40)])
    func matrixProductsAllocateNothingOnceWarm(transA: Transpose, transB: Transpose, size: Int) {
        var rng = SeededGenerator(seed: 11)
        let (m, n, k) = (size, size + 17, size + 5)
        let a = randomArray(m * k, &rng), b = randomArray(k * n, &rng)
        let (lda, ldb) = (transA == .none ? k : m, transB == .none ? n : k)
        var c = [Float](repeating: 0, count: m * n)
        gemm(transA, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: 0, &c, ldc: n)
        let count = allocations {
            for _ in 0..<5 { gemm(transA, transB, m: m, n: n, k: k, a, lda: lda, b, ldb: ldb, beta: 0, &c, ldc: n) }
        }
        #expect(count == 0)
        let expected = naiveGemm(transA, transB, m: m, n: n, k: k, alpha: 1, a, lda: lda, b, ldb: ldb, beta: 0,
                                 [Float](repeating: 0, count: m * n), ldc: n)
        #expect(zip(c, expected).allSatisfy { abs($0 - $1) < 1e-3 })
    }
}
