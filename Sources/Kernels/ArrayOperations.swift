/// Array-level entry points to the kernels, so that layers never touch
/// pointers. Each one borrows the arrays' storage for the duration of the call.

/// `c = alpha · op(a) · op(b) + beta · c` on row-major arrays, or with a
/// `bias` of `n` floats, `c = alpha · op(a) · op(b) + bias` in every row;
/// see `sgemm`. Each matrix may start at an offset into its array, so that
/// a block of columns of a larger matrix can be used in place.
public func gemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int, alpha: Float = 1,
    _ a: [Float], aOffset: Int = 0, lda: Int,
    _ b: [Float], bOffset: Int = 0, ldb: Int,
    beta: Float = 0, bias: [Float]? = nil, _ c: inout [Float], cOffset: Int = 0, ldc: Int
) {
    /// The last element index a row-major `rows × columns` matrix touches.
    func extent(_ rows: Int, _ columns: Int, _ ld: Int, _ offset: Int) -> Int {
        rows == 0 || columns == 0 ? 0 : offset + (rows - 1) * ld + columns
    }
    precondition(a.count >= (transA == .none ? extent(m, k, lda, aOffset) : extent(k, m, lda, aOffset)), "A too small")
    precondition(b.count >= (transB == .none ? extent(k, n, ldb, bOffset) : extent(n, k, ldb, bOffset)), "B too small")
    precondition(c.count >= extent(m, n, ldc, cOffset), "C too small")
    precondition(bias == nil || bias?.count == n, "a bias of \(bias?.count ?? 0) for \(n) columns")
    guard m > 0, n > 0 else { return }
    func multiply(bias: UnsafePointer<Float>?) {
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha,
                          a: a.baseAddress! + aOffset, lda: lda, b: b.baseAddress! + bOffset, ldb: ldb,
                          beta: beta, bias: bias, c: c.baseAddress! + cOffset, ldc: ldc)
                }
            }
        }
    }
    if let bias {
        bias.withUnsafeBufferPointer { multiply(bias: $0.baseAddress) }
    } else {
        multiply(bias: nil)
    }
}
