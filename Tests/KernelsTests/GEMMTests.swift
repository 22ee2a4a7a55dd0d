import Testing
import Kernels

/// A triple loop, obviously right, to check the blocked GEMM against.
func naiveGemm(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, alpha: Float,
               _ a: [Float], lda: Int, _ b: [Float], ldb: Int, beta: Float, _ c: [Float], ldc: Int) -> [Float] {
    var out = c
    for i in 0..<m {
        for j in 0..<n {
            var sum: Double = 0
            for p in 0..<k {
                let x = ta == .none ? a[i * lda + p] : a[p * lda + i]
                let y = tb == .none ? b[p * ldb + j] : b[j * ldb + p]
                sum += Double(x) * Double(y)
            }
            out[i * ldc + j] = alpha * Float(sum) + beta * c[i * ldc + j]
        }
    }
    return out
}

func randomArray(_ count: Int, _ rng: inout SeededGenerator) -> [Float] {
    (0..<count).map { _ in rng.uniform(in: -1...1) }
}

struct GEMMTests {
    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 1), (7, 7, 7), (33, 33, 33), (129, 129, 129),
        (1, 129, 7), (129, 1, 33), (7, 33, 300), (70, 300, 5), (9, 2100, 17),
        // Enough rows of C that an untransposed B is packed as well.
        (260, 70, 300),
        // B's rows so far apart that, with few rows of C, it is read in
        // place a narrow block at a time while the block before prefetches
        // it; its last panel only partly filled; depths in one block (with A
        // packed, deeper than an ordinary block) and in two.
        (20, 1030, 40), (20, 1030, 300), (16, 1100, 500),
        // The same with enough rows of C that B is packed, in one deep block.
        (260, 1030, 300),
        // Whole 8-row panels of A and few B panels: A read in place, its
        // stored rows or (transposed) its stored columns, over two depth blocks.
        (64, 40, 300),
    ]

    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func matchesNaiveProductOnAwkwardSizes(transA: Transpose, transB: Transpose) {
        for beta: Float in [0, 1, 2] { checkAgainstNaiveProduct(transA: transA, transB: transB, beta: beta) }
    }

    private func checkAgainstNaiveProduct(transA: Transpose, transB: Transpose, beta: Float) {
        var rng = SeededGenerator(seed: 1)
        for (m, n, k) in Self.shapes {
            // Leading dimensions larger than the logical width test the strides.
            let lda = (transA == .none ? k : m) + 3
            let ldb = (transB == .none ? n : k) + 2
            let ldc = n + 1
            let a = randomArray((transA == .none ? m : k) * lda, &rng)
            let b = randomArray((transB == .none ? k : n) * ldb, &rng)
            let c0 = randomArray(m * ldc, &rng)
            var c = c0
            gemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a, lda: lda, b, ldb: ldb, beta: beta, &c, ldc: ldc)
            let expected = naiveGemm(transA, transB, m: m, n: n, k: k, alpha: 0.5, a, lda: lda, b, ldb: ldb,
                                     beta: beta, c0, ldc: ldc)
            let worst = zip(c, expected).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4 * Float(k + 1), "m=\(m) n=\(n) k=\(k) beta=\(beta) worst=\(worst)")
        }
    }

    /// B's stored rows at tabulated, overlapping offsets (as an implicit
    /// convolution reads shifted images) give the product of the matrix
    /// those rows spell out, untransposed and transposed.
    @Test(arguments: [Transpose.none, .transposed])
    func tabulatedRowsOfBReadTheRowsTheyName(transB: Transpose) {
        var rng = SeededGenerator(seed: 3)
        for (m, n, k) in Self.shapes {
            let (rows, length) = transB == .none ? (k, n) : (n, k)
            let storage = randomArray(length + 40, &rng)
            let offsets = (0..<rows).map { _ in rng.index(below: 41) }
            let b = offsets.flatMap { storage[$0..<$0 + length] }
            let a = randomArray(m * k, &rng)
            var c = [Float](repeating: 0, count: m * n)
            a.withUnsafeBufferPointer { a in
                storage.withUnsafeBufferPointer { storage in
                    offsets.withUnsafeBufferPointer { offsets in
                        c.withUnsafeMutableBufferPointer { c in
                            sgemm(.none, transB, m: m, n: n, k: k, a: a.baseAddress!, lda: k, b: storage.baseAddress!,
                                  ldb: 0, bRowOffsets: offsets.baseAddress!, beta: 0, c: c.baseAddress!, ldc: n)
                        }
                    }
                }
            }
            let expected = naiveGemm(.none, transB, m: m, n: n, k: k, alpha: 1, a, lda: k, b, ldb: length, beta: 0,
                                     c, ldc: n)
            let worst = zip(c, expected).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4 * Float(k + 1), "m=\(m) n=\(n) k=\(k) worst=\(worst)")
        }
    }

    /// With `beta = 0` C is written, never read: NaNs in it vanish, also
    /// when the depth spans several blocks.
    @Test(arguments: [50, 300])
    func betaZeroIgnoresGarbageInC(k: Int) {
        var rng = SeededGenerator(seed: 2)
        let a = randomArray(40 * k, &rng), b = randomArray(k * 60, &rng)
        var c = [Float](repeating: .nan, count: 40 * 60)
        gemm(.none, .none, m: 40, n: 60, k: k, a, lda: k, b, ldb: 60, beta: 0, &c, ldc: 60)
        let expected = naiveGemm(.none, .none, m: 40, n: 60, k: k, alpha: 1, a, lda: k, b, ldb: 60, beta: 0,
                                 [Float](repeating: 0, count: 40 * 60), ldc: 60)
        #expect(zip(c, expected).allSatisfy { abs($0 - $1) < 1e-3 })
    }

    /// A bias gives the very bits of filling C's rows with it and adding the
    /// product (`beta = 1`), the way a linear layer once did, whatever C held
    /// before: at every awkward size (edge tiles, several depth blocks), both
    /// ways of reading A and B, on both threads, and with no depth at all.
    @Test(arguments: [Transpose.none, .transposed], [Transpose.none, .transposed])
    func biasStartsEveryRowOfC(transA: Transpose, transB: Transpose) {
        var rng = SeededGenerator(seed: 4)
        for (m, n, k) in Self.shapes + [(9, 40, 0)] {
            let a = randomArray(m * k, &rng), b = randomArray(k * n, &rng), bias = randomArray(n, &rng)
            var filled = Array([[Float]](repeating: bias, count: m).joined())
            gemm(transA, transB, m: m, n: n, k: k, a, lda: transA == .none ? k : m, b, ldb: transB == .none ? n : k,
                 beta: 1, &filled, ldc: n)
            var started = [Float](repeating: .nan, count: m * n)
            gemm(transA, transB, m: m, n: n, k: k, a, lda: transA == .none ? k : m, b, ldb: transB == .none ? n : k,
                 bias: bias, &started, ldc: n)
            #expect(started.map(\.bitPattern) == filled.map(\.bitPattern), "m=\(m) n=\(n) k=\(k)")
        }
    }

    /// One thread and two give the same bits: with B transposed (split by
    /// columns for 200 rows of C, by rows for 300), and with B's rows far
    /// apart (500 columns of rows 1 100 floats apart), where one thread's
    /// 300 rows of C pack B and two threads' 150 rows each read it ahead in
    /// place.
    @Test(arguments: [(Transpose.transposed, 200, 700, 300, 300), (.transposed, 300, 700, 300, 300),
                      (.none, 300, 500, 300, 1100)])
    func resultDoesNotDependOnThreadCount(transB: Transpose, m: Int, n: Int, k: Int, ldb: Int) {
        var rng = SeededGenerator(seed: 3)
        let a = randomArray(m * k, &rng), b = randomArray((transB == .none ? k : n) * ldb, &rng)
        let runs = [1, 2].map { threads in
            WorkerPool.withThreads(threads) {
                var c = [Float](repeating: 0, count: m * n)
                gemm(.none, transB, m: m, n: n, k: k, a, lda: k, b, ldb: ldb, &c, ldc: n)
                return (threads: WorkerPool.shared.threads, c: c)
            }
        }
        #expect(runs.map(\.threads) == [1, 2], "the thread counts compared must be the ones claimed")
        #expect(zip(runs[0].c, runs[1].c).filter { $0.bitPattern != $1.bitPattern }.isEmpty, "the two results differ")
    }

    /// Threads that compute parts of the same rows of C write into the
    /// cache line at their boundary in every row (C's rows seldom start on
    /// a line): a C of many rows is split by rows, and only one of few rows,
    /// whose B streams from memory, by columns.
    @Test func manyRowsAreSplitByRows() {
        for m in [256, 300, 1024, 4096] {
            for n in [64, 128, 1024, 50176] {
                #expect(ProductSplit(m: m, n: n, k: 256, bInCache: false, threads: 2) == .rows, "m=\(m) n=\(n)")
            }
        }
        #expect(ProductSplit(m: 32, n: 50176, k: 288, bInCache: false, threads: 2) == .columns)
        #expect(ProductSplit(m: 64, n: 64, k: 64, bInCache: true, threads: 2) == .rows)
        #expect(ProductSplit(m: 1024, n: 1024, k: 1024, bInCache: false, threads: 1) == .whole)
        #expect(ProductSplit(m: 8, n: 8, k: 8, bInCache: true, threads: 2) == .whole)
        // Sizes whose operation count overflows an Int are still split.
        #expect(ProductSplit(m: 1 << 40, n: 1 << 40, k: 1 << 40, bInCache: false, threads: 2) == .rows)
    }
}
