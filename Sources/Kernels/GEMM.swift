import CGlibc
import Synchronization

/// Whether a GEMM operand is read as stored or transposed.
public enum Transpose: Sendable {
    case none
    case transposed
}

/// Rows of C computed by one micro-kernel call.
let microRows = 8
/// Columns of C computed by one micro-kernel call: two 16-lane vectors.
let microColumns = 32
/// Depth of one packed panel: a B micro-panel (kc × 32 floats) stays in L1.
let depthBlock = 256
/// The deepest block: a B whose rows are far apart takes all of a depth up
/// to this in one block, so that C is stored once instead of being read
/// back for a short last block (`gemm-conv`, depth 288: 80–84 % of the
/// peak in one block, 71–72 % as 256 + 32). Packed, such a block is
/// narrower than `columnBlock`, to fit the same buffer.
let deepestBlock = depthBlock * 3 / 2
/// Rows of A packed at once: the packed block stays in L2.
let rowBlock = 64
/// Columns of B packed at once.
let columnBlock = 2048
/// Columns of a block up to which its A panels are read in place and its B
/// panels stay in L1 while the A panels stream past (`multiplyBlock`).
let inPlaceColumns = 8 * microColumns
/// Rows of C from which an untransposed B is packed too. Its panels then
/// serve at least 32 A panels from contiguous memory, where rows read in
/// place a power-of-two stride apart (1024³: 4 KB) fall into the same L1
/// sets and evict one another; below it, the copy costs more than it saves.
let packedBRows = 256
/// A B whose stored rows are at least this many floats (a 4 KB page) apart
/// is read in blocks of `prefetchedColumns` columns when C has few rows.
/// Each of a panel's `kc` rows is then a stream of its own, more than the
/// hardware prefetcher follows, so the tiles of each block prefetch the
/// rows of the next (`RowPrefetch`).
let farApartRows = 1024
/// Columns of a block of B read in place from rows far apart: the next
/// block's rows (`gemm-conv`: 288 rows of 256 bytes, 72 KB) arrive in L1
/// and L2 while this one's tiles run (`gemm-conv`: 64 or 128 columns
/// 76–84 % of the peak, 256 columns 71–75 %, 512 columns 70 %; packed, as
/// before, 50–52 %).
let prefetchedColumns = 64

/// Floating-point operations (2·m·n·k) of every `sgemm` call since launch,
/// and of every direct convolution tile (DirectConvolution.swift), so that
/// benchmarks report the arithmetic actually done.
public let productOperations = Atomic<Int>(0)

/// Single-precision matrix product on row-major storage:
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
///
/// `op(A)` is `A` (stored m×k with row stride `lda`) or its transpose (stored
/// k×m). The work is blocked for the caches (Goto's scheme): A is packed
/// into contiguous 8-row panels (or read in place when it meets only a few
/// B panels), B is read in place when it is stored untransposed and packed
/// into 32-column panels otherwise, and one 8×32
/// SIMD micro-kernel does the arithmetic. Rows or columns of C are split
/// across the worker pool; every element of C is summed in the same order
/// whatever the thread count, so results are bit-identical with 1 or 2 threads.
///
/// B's stored rows are `ldb` floats apart, or, when `bRowOffsets` is given,
/// stored row `r` starts at `b + bRowOffsets[r]`: rows may then overlap, as
/// the shifted copies of an image do in an implicit convolution.
///
/// With a `bias` of `n` floats (and `beta = 0`), every row of C starts from
/// it: `C = alpha · op(A) · op(B) + bias`, added as the first depth block's
/// tiles are stored, so C is neither filled first nor read back.
public func sgemm(
    _ transA: Transpose, _ transB: Transpose,
    m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int, bRowOffsets: UnsafePointer<Int>? = nil,
    beta: Float, bias: UnsafePointer<Float>? = nil,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    pool: WorkerPool = .shared
) {
    guard m > 0, n > 0 else { return }
    precondition(bias == nil || beta == 0, "a bias replaces C: beta must be 0")
    productOperations.add(2 * m * n * k, ordering: .relaxed)
    let operands = GemmOperands(transA: transA, transB: transB, k: k, alpha: alpha,
                                a: a, lda: lda, b: b, ldb: ldb, bRowOffsets: bRowOffsets,
                                beta: beta, bias: bias, c: c, ldc: ldc)
    switch ProductSplit(m: m, n: n, k: k, bInCache: transB == .none && bRowOffsets == nil && k * n <= 1 << 18,
                        threads: pool.availableThreads) {
    case .whole: operands.compute(rows: 0..<m, columns: 0..<n)
    case .columns: pool.forEachChunk(of: n, grain: microColumns, ColumnsOfProduct(operands: operands, rows: m))
    case .rows: pool.forEachChunk(of: m, grain: microRows, RowsOfProduct(operands: operands, columns: n))
    }
}

/// How `sgemm` shares a product out among the threads: each thread
/// packs the A rows of its share.
public enum ProductSplit: Equatable, Sendable {
    /// One thread: the product is too small to share, or cannot be cut.
    case whole
    /// Each thread computes some rows of C. A small untransposed B is read
    /// in place from cache (`bInCache`), so this duplicates no packing. A C
    /// of many rows is split by rows too: split by columns, two threads
    /// would write into one cache line of every row wherever the rows do
    /// not start on a line (a large Swift array's elements start 48 bytes
    /// into one), and that line would move between the cores at every
    /// depth block of every row (`gemm-1024` with the CPUs far apart:
    /// 195–209 GFLOP/s by rows, 158–205 by columns).
    case rows
    /// Each thread computes some columns of C: the threads share B's
    /// packing (or its trip from memory), for a C of few rows.
    case columns

    /// The split of an `m`×`n` product of depth `k` on `threads` threads,
    /// whose B is small, untransposed and read in place (`bInCache`) or not.
    public init(m: Int, n: Int, k: Int, bInCache: Bool, threads: Int) {
        let rowsSplit = m >= 2 * microRows * threads, columnsSplit = n >= 2 * microColumns * threads
        // In floating point, so that no size can overflow the count.
        let operations = 2 * Double(m) * Double(n) * Double(max(k, 1))
        if operations < Double(1 << 17) || threads == 1 || !(rowsSplit || columnsSplit) {
            self = .whole
        } else if columnsSplit && !(rowsSplit && (bInCache || m >= packedBRows)) {
            self = .columns
        } else {
            self = .rows
        }
    }
}

/// A product `rows` rows high, computed a range of columns at a time.
private struct ColumnsOfProduct: ChunkedWork {
    let operands: GemmOperands, rows: Int
    func run(_ columns: Range<Int>) { operands.compute(rows: 0..<rows, columns: columns) }
}

/// A product `columns` columns wide, computed a range of rows at a time.
private struct RowsOfProduct: ChunkedWork {
    let operands: GemmOperands, columns: Int
    func run(_ rows: Range<Int>) { operands.compute(rows: rows, columns: 0..<columns) }
}

/// The arguments of one `sgemm` call, so that each thread can compute its
/// own rectangle of C.
struct GemmOperands {
    let transA: Transpose, transB: Transpose
    let k: Int, alpha: Float
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int, bRowOffsets: UnsafePointer<Int>?
    let beta: Float, bias: UnsafePointer<Float>?
    let c: UnsafeMutablePointer<Float>, ldc: Int

    /// Computes `C[rows, columns]`, packing its own panels. With `beta = 0`
    /// the first depth block stores into C (starting from the bias, if any)
    /// instead of adding to it, so C is never cleared first.
    func compute(rows: Range<Int>, columns: Range<Int>) {
        guard k > 0, alpha != 0 else { return scaleC(rows: rows, columns: columns) }
        if beta != 0 { scaleC(rows: rows, columns: columns) }
        PackingBuffers.withBuffers { packedA, packedB in
            multiply(rows: rows, columns: columns, packedA: packedA, packedB: packedB)
        }
    }

    /// `compute`'s blocked loops, packing into the two buffers given.
    private func multiply(rows: Range<Int>, columns: Range<Int>,
                          packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>) {
        // The depth blocks decide the order of each element's sum, so they
        // depend on the operands alone, never on the rows a thread was given.
        let farApart = transB == .none && bRowOffsets == nil && ldb >= farApartRows
        let fetchesAhead = farApart && rows.count < packedBRows
        let depth = farApart && k <= deepestBlock ? k : depthBlock
        let packedWidth = min(columnBlock, depthBlock * columnBlock / depth / microColumns * microColumns)
        let width = fetchesAhead ? prefetchedColumns : packedWidth
        for jc in stride(from: columns.lowerBound, to: columns.upperBound, by: width) {
            let nc = min(width, columns.upperBound - jc)
            var ahead = fetchesAhead ? rowsOfBlock(after: jc, columns: columns) : RowPrefetch()
            let lines = ahead.linesLeft
            var products = 0
            for pc in stride(from: 0, to: k, by: depth) {
                let kc = min(depth, k - pc)
                let panels = bPanels(packedInto: packedB, depth: pc, kc: kc, column: jc, nc: nc, rows: rows.count)
                for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: rowBlock) {
                    let mc = min(rowBlock, rows.upperBound - ic)
                    // Each block fetches the share of the next columns' lines
                    // that its arithmetic is of these columns' arithmetic.
                    products += kc * mc
                    ahead.quota = lines * products / (k * rows.count) - (lines - ahead.linesLeft)
                    let aPanels = aPanels(packedInto: packedA, row: ic, mc: mc, depth: pc, kc: kc, nc: nc)
                    multiplyBlock(aPanels: aPanels, bPanels: panels, row: ic, mc: mc, column: jc, nc: nc, kc: kc,
                                  overwrite: beta == 0 && pc == 0, ahead: &ahead)
                }
            }
        }
    }

    /// `C ← beta · C` on the rectangle, with `beta = 0` clearing NaNs too
    /// (or, with a bias, `C ← bias`).
    private func scaleC(rows: Range<Int>, columns: Range<Int>) {
        guard beta != 1 else { return }
        for i in rows {
            let row = c + i * ldc
            for j in columns { row[j] = beta != 0 ? beta * row[j] : bias?[j] ?? 0 }
        }
    }

    /// Where the micro-kernel finds the 8-row panels of `op(A)`: panel `i`
    /// starts at `start + i·panelStride`, laid out as `layout` says.
    struct APanels {
        let start: UnsafePointer<Float>
        let panelStride: Int
        let layout: Layout

        /// Packed panels are depth-major (8 floats per step). Read in place,
        /// an untransposed A's panel is 8 of its rows (`lda` apart), a
        /// transposed A's is 8 adjacent floats of each stored row, one
        /// stored row (`lda` further) per step.
        enum Layout { case packed, storedRows, storedColumns }
    }

    /// An A whose rows fill whole panels, multiplied by only a few B panels,
    /// is read in place: packing it would cost more than it saves. Otherwise
    /// it is packed into `dst` by `packA`.
    private func aPanels(packedInto dst: UnsafeMutablePointer<Float>, row: Int, mc: Int, depth: Int, kc: Int,
                         nc: Int) -> APanels {
        if mc % microRows == 0 && nc <= inPlaceColumns {
            return transA == .none
                ? APanels(start: a + row * lda + depth, panelStride: microRows * lda, layout: .storedRows)
                : APanels(start: a + depth * lda + row, panelStride: microRows, layout: .storedColumns)
        }
        packA(into: dst, row: row, mc: mc, depth: depth, kc: kc)
        return APanels(start: dst, panelStride: microRows * kc, layout: .packed)
    }

    /// Packs `op(A)[row..<row+mc, depth..<depth+kc]` as panels of 8 rows,
    /// depth-major inside a panel, padding missing rows with zeros.
    private func packA(into dst: UnsafeMutablePointer<Float>, row: Int, mc: Int, depth: Int, kc: Int) {
        for panel in stride(from: 0, to: mc, by: microRows) {
            let first = row + panel
            packPanel(into: dst + panel * kc, width: microRows, count: min(microRows, mc - panel), kc: kc,
                      rows: StridedRows(start: transA == .none ? a + first * lda + depth : a + depth * lda + first,
                                        stride: lda),
                      contiguousAcross: transA == .transposed)
        }
    }

    /// Where the micro-kernel finds the 32-column panels of
    /// `op(B)[depth..<depth+kc, column..<column+nc]`.
    struct BPanels {
        /// Panel `i` starts at `start + i·panelStride`; its depth rows are
        /// `rowStride` apart, or `rowOffsets[p]` from its start.
        let start: UnsafePointer<Float>
        let panelStride: Int
        let rowStride: Int
        let rowOffsets: UnsafePointer<Int>?
        /// A packed copy of the last panel when that one is only partly filled
        /// and the others are read in place.
        var packedLast: (index: Int, panel: UnsafePointer<Float>)? = nil

        /// The panel holding columns `jr..<jr+32`, with its row stride or offsets.
        func panel(at jr: Int) -> (UnsafePointer<Float>, rowStride: Int, rowOffsets: UnsafePointer<Int>?) {
            let index = jr / microColumns
            if let last = packedLast, last.index == index { return (last.panel, microColumns, nil) }
            return (start + index * panelStride, rowStride, rowOffsets)
        }
    }

    /// When B is stored untransposed and C has fewer than `packedBRows` rows
    /// here, B's full panels are read in place: each depth row of a panel
    /// is already 32 contiguous floats, and the blocking keeps them in cache
    /// (or, from rows far apart, the tiles before fetch them: `RowPrefetch`).
    /// Only a partly filled last panel is packed, padded with zero columns.
    /// Otherwise B is packed whole into `dst`, as panels of 32 columns,
    /// depth-major inside a panel.
    private func bPanels(packedInto dst: UnsafeMutablePointer<Float>, depth: Int, kc: Int, column: Int, nc: Int,
                         rows: Int) -> BPanels {
        if transB == .none && rows < packedBRows {
            let offsets = bRowOffsets.map { $0 + depth }
            var panels = BPanels(start: offsets == nil ? b + depth * ldb + column : b + column,
                                 panelStride: microColumns, rowStride: ldb, rowOffsets: offsets)
            let full = nc / microColumns * microColumns
            guard full < nc else { return panels }
            packBPanel(into: dst, count: nc - full, kc: kc, start: panels.start + full, offsets: offsets,
                       contiguousAcross: true)
            panels.packedLast = (full / microColumns, UnsafePointer(dst))
            return panels
        }
        if transB == .none {
            packUntransposedB(into: dst, depth: depth, kc: kc, column: column, nc: nc)
        } else {
            for panel in stride(from: 0, to: nc, by: microColumns) {
                // Transposed, B's stored rows are op(B)'s columns.
                packBPanel(into: dst + panel * kc, count: min(microColumns, nc - panel), kc: kc,
                           start: bRowOffsets == nil ? b + (column + panel) * ldb + depth : b + depth,
                           offsets: bRowOffsets.map { $0 + column + panel }, contiguousAcross: false)
            }
        }
        return BPanels(start: dst, panelStride: microColumns * kc, rowStride: microColumns, rowOffsets: nil)
    }

    /// The stored rows of B, all `k` of them, that the columns after
    /// `column` will read in place, `prefetchedColumns` wide, for the tiles
    /// of this block to prefetch.
    private func rowsOfBlock(after column: Int, columns: Range<Int>) -> RowPrefetch {
        let next = column + prefetchedColumns
        guard next < columns.upperBound else { return RowPrefetch() }
        return RowPrefetch(start: b + next, stride: ldb, rows: k, width: min(prefetchedColumns, columns.upperBound - next))
    }

    /// Packs an untransposed `B[depth..<depth+kc, column..<column+nc]` as
    /// panels of 32 columns, depth-major inside a panel (the last padded with
    /// zero columns), reading each stored row once from start to end: read
    /// panel by panel, a B whose rows are far apart is `kc` interleaved
    /// streams, more than the hardware prefetcher follows.
    private func packUntransposedB(into dst: UnsafeMutablePointer<Float>, depth: Int, kc: Int, column: Int, nc: Int) {
        let full = nc / microColumns * microColumns
        for p in 0..<kc {
            let source = bRowOffsets.map { b + $0[depth + p] + column } ?? b + (depth + p) * ldb + column
            for panel in stride(from: 0, to: full, by: microColumns) {
                let to = UnsafeMutableRawPointer(dst + panel * kc + p * microColumns)
                let from = UnsafeRawPointer(source + panel)
                to.storeBytes(of: from.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self), toByteOffset: 64,
                              as: SIMD16<Float>.self)
            }
            guard full < nc else { continue }
            let to = dst + full * kc + p * microColumns
            to.update(from: source + full, count: nc - full)
            (to + nc - full).update(repeating: 0, count: microColumns - (nc - full))
        }
    }

    /// `packPanel` for B, whose stored rows start at `start` and are `ldb`
    /// apart, or at `offsets` from `start`.
    private func packBPanel(into dst: UnsafeMutablePointer<Float>, count: Int, kc: Int, start: UnsafePointer<Float>,
                            offsets: UnsafePointer<Int>?, contiguousAcross: Bool) {
        if let offsets {
            packPanel(into: dst, width: microColumns, count: count, kc: kc,
                      rows: TabulatedRows(start: start, offsets: offsets), contiguousAcross: contiguousAcross)
        } else {
            packPanel(into: dst, width: microColumns, count: count, kc: kc,
                      rows: StridedRows(start: start, stride: ldb), contiguousAcross: contiguousAcross)
        }
    }

    /// Runs the micro-kernel over every 8×32 tile of one packed block,
    /// adding to C or, with `overwrite`, storing into it (from the bias, if any).
    ///
    /// A block of at most `inPlaceColumns` columns keeps each B panel in L1
    /// while the A panels stream past it from L2. A wider block turns this
    /// round: each 8-row A panel (8 KB at a depth of 256) stays in L1 while
    /// the B panels stream past it from L2: a B panel (32 KB at that depth)
    /// fills a whole Zen 4 L1, so the A panels it met evicted it
    /// (`gemm-1024` 1.09× on one thread). Every tile sums in the same
    /// order either way.
    private func multiplyBlock(aPanels: APanels, bPanels: BPanels,
                               row: Int, mc: Int, column: Int, nc: Int, kc: Int, overwrite: Bool,
                               ahead: inout RowPrefetch) {
        var edgeTile = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                        SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                        SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                        SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        /// The micro-kernel on the tile at rows `ir` and columns `jr` of the block.
        func tile(_ ir: Int, _ jr: Int) {
            let rowsHere = min(microRows, mc - ir), columnsHere = min(microColumns, nc - jr)
            let aPanel = aPanels.start + ir / microRows * aPanels.panelStride
            let (bPanel, ldb, bOffsets) = bPanels.panel(at: jr)
            let start = overwrite ? bias.map { $0 + column + jr } : nil
            /// The micro-kernel on this tile, compiled separately for packed
            /// A panels (constant strides), for A's stored rows or columns
            /// read in place, and for B rows at a stride or at tabulated
            /// offsets; storing from `start` (a bias) when given.
            func kernel(c: UnsafeMutablePointer<Float>, ldc: Int, overwrite: Bool, start: UnsafePointer<Float>?) {
                func run<Rows: RowAddresses, Ahead: AheadFetch>(_ rows: Rows, _ fetch: inout Ahead) {
                    switch aPanels.layout {
                    case .packed:
                        microKernel(kc: kc, a: aPanel, aRow: 1, aStep: microRows, b: rows, c: c, ldc: ldc,
                                    alpha: alpha, overwrite: overwrite, start: start, ahead: &fetch)
                    case .storedRows:
                        microKernel(kc: kc, a: aPanel, aRow: lda, aStep: 1, b: rows, c: c, ldc: ldc,
                                    alpha: alpha, overwrite: overwrite, start: start, ahead: &fetch)
                    case .storedColumns:
                        microKernel(kc: kc, a: aPanel, aRow: 1, aStep: lda, b: rows, c: c, ldc: ldc,
                                    alpha: alpha, overwrite: overwrite, start: start, ahead: &fetch)
                    }
                }
                var none = NoFetch()
                if let bOffsets {
                    run(TabulatedRows(start: bPanel, offsets: bOffsets), &none)
                } else if ahead.linesLeft > 0 {
                    run(StridedRows(start: bPanel, stride: ldb), &ahead)
                } else {
                    run(StridedRows(start: bPanel, stride: ldb), &none)
                }
            }
            let target = c + (row + ir) * ldc + column + jr
            if rowsHere == microRows && columnsHere == microColumns {
                kernel(c: target, ldc: ldc, overwrite: overwrite, start: start)
            } else {
                withUnsafeMutableBytes(of: &edgeTile) { raw in
                    let tile = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                    kernel(c: tile, ldc: microColumns, overwrite: true, start: nil)
                    for r in 0..<rowsHere {
                        for j in 0..<columnsHere {
                            let value = tile[r * microColumns + j]
                            let old = overwrite ? start?[j] : target[r * ldc + j]
                            target[r * ldc + j] = old.map { $0 + value } ?? value
                        }
                    }
                }
            }
        }
        let tiles = (nc + microColumns - 1) / microColumns * ((mc + microRows - 1) / microRows)
        let linesPerTile = (ahead.quota + tiles - 1) / tiles
        if nc <= inPlaceColumns {
            for jr in stride(from: 0, to: nc, by: microColumns) {
                for ir in stride(from: 0, to: mc, by: microRows) { ahead.budget = linesPerTile; tile(ir, jr) }
            }
        } else {
            for ir in stride(from: 0, to: mc, by: microRows) {
                for jr in stride(from: 0, to: nc, by: microColumns) { ahead.budget = linesPerTile; tile(ir, jr) }
            }
        }
    }
}

/// Cache lines that a micro-kernel fetches ahead, one per depth step, while
/// its arithmetic runs: none, or the stored rows of B that the next block
/// will read in place (`RowPrefetch`).
protocol AheadFetch {
    mutating func fetchOne()
}

/// Nothing to fetch ahead: the ordinary micro-kernel.
struct NoFetch: AheadFetch {
    @inline(__always) mutating func fetchOne() {}
}

/// Stored rows to prefetch into L1 and L2, line after line and row after
/// row, at most `budget` lines before the budget is renewed: spread over a
/// block's tiles, so that a few requests at a time are in flight and the
/// next block's tiles read B from cache instead of waiting on memory (a C
/// model of `gemm-conv`'s blocks on this machine copied them at 10 GB/s from
/// memory and at 48 GB/s prefetched).
struct RowPrefetch: AheadFetch {
    private var next: UnsafeRawPointer?
    private let linesPerRow: Int, rowJump: Int
    private var lineInRow: Int
    /// Lines left to fetch in all; of them, the lines the current block is
    /// to fetch, and the lines the current tile may still fetch.
    private(set) var linesLeft: Int
    var quota = 0, budget = 0

    /// Nothing to prefetch.
    init() { (next, linesPerRow, rowJump, lineInRow, linesLeft) = (nil, 1, 0, 1, 0) }

    /// `rows` rows of `width` floats, `stride` floats apart from `start`.
    init(start: UnsafePointer<Float>, stride: Int, rows: Int, width: Int) {
        next = UnsafeRawPointer(start)
        linesPerRow = (width * 4 + 63) / 64
        rowJump = stride * 4 - linesPerRow * 64
        lineInRow = linesPerRow
        linesLeft = rows * linesPerRow
    }

    @inline(__always) mutating func fetchOne() {
        guard budget > 0, linesLeft > 0, let line = next else { return }
        reslab_prefetch(line)
        budget -= 1
        linesLeft -= 1
        lineInRow -= 1
        next = line + (lineInRow == 0 ? 64 + rowJump : 64)
        if lineInRow == 0 { lineInRow = linesPerRow }
    }
}

/// Where the rows of a stored matrix start: by index, or one after another
/// (`next()`, which the micro-kernel uses so that a stride is a pointer bump).
protocol RowAddresses {
    subscript(row: Int) -> UnsafePointer<Float> { get }
    mutating func next() -> UnsafePointer<Float>
}

/// Rows a constant stride apart: an ordinary row-major matrix.
struct StridedRows: RowAddresses {
    var start: UnsafePointer<Float>
    let stride: Int
    @inline(__always) subscript(row: Int) -> UnsafePointer<Float> { start + row * stride }
    @inline(__always) mutating func next() -> UnsafePointer<Float> {
        defer { start += stride }
        return start
    }
}

/// Rows at tabulated offsets from one start.
struct TabulatedRows: RowAddresses {
    let start: UnsafePointer<Float>
    var offsets: UnsafePointer<Int>
    @inline(__always) subscript(row: Int) -> UnsafePointer<Float> { start + offsets[row] }
    @inline(__always) mutating func next() -> UnsafePointer<Float> {
        defer { offsets += 1 }
        return start + offsets[0]
    }
}

/// `C[8×32] += alpha · A·B` (or `=` with `overwrite`, plus the 32 floats at
/// `start`, if given, in every row) for one 8-row A panel,
/// whose rows are `aRow` floats apart and depth steps `aStep` apart, and one
/// 32-column B panel whose depth rows `b` walks through: sixteen
/// 16-lane accumulators, two B vectors and one broadcast A value live in
/// registers; each step is 16 fused multiply-adds.
@inline(__always)
func microKernel<Rows: RowAddresses, Ahead: AheadFetch>(
    kc: Int, a: UnsafePointer<Float>, aRow: Int, aStep: Int, b: Rows,
    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float, overwrite: Bool, start: UnsafePointer<Float>?,
    ahead: inout Ahead
) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
    var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
    var c60 = SIMD16<Float>(), c61 = SIMD16<Float>(), c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
    var ap = a, rows = b
    for _ in 0..<kc {
        let bp = UnsafeRawPointer(rows.next())
        let b0 = bp.loadUnaligned(as: SIMD16<Float>.self)
        let b1 = bp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        var x = SIMD16<Float>(repeating: ap[0]); c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[aRow]); c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[2 * aRow]); c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[3 * aRow]); c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[4 * aRow]); c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[5 * aRow]); c50.addProduct(x, b0); c51.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[6 * aRow]); c60.addProduct(x, b0); c61.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[7 * aRow]); c70.addProduct(x, b0); c71.addProduct(x, b1)
        ap += aStep
        ahead.fetchOne()
    }
    // Plain vectors and a flag, not an optional pair: the optional made the
    // compiler spill the accumulators (mlp-spiral 0.90×).
    var startLo = SIMD16<Float>(), startHi = SIMD16<Float>()
    if let start {
        startLo = UnsafeRawPointer(start).loadUnaligned(as: SIMD16<Float>.self)
        startHi = UnsafeRawPointer(start).loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    }
    let startRow = (lo: startLo, hi: startHi, given: start != nil)
    addRow(c, lo: c00, hi: c01, alpha: alpha, overwrite: overwrite, start: startRow)
    addRow(c + ldc, lo: c10, hi: c11, alpha: alpha, overwrite: overwrite, start: startRow)
    addRow(c + 2 * ldc, lo: c20, hi: c21, alpha: alpha, overwrite: overwrite, start: startRow)
    addRow(c + 3 * ldc, lo: c30, hi: c31, alpha: alpha, overwrite: overwrite, start: startRow)
    addRow(c + 4 * ldc, lo: c40, hi: c41, alpha: alpha, overwrite: overwrite, start: startRow)
    addRow(c + 5 * ldc, lo: c50, hi: c51, alpha: alpha, overwrite: overwrite, start: startRow)
    addRow(c + 6 * ldc, lo: c60, hi: c61, alpha: alpha, overwrite: overwrite, start: startRow)
    addRow(c + 7 * ldc, lo: c70, hi: c71, alpha: alpha, overwrite: overwrite, start: startRow)
}

/// `row[0..<32] += alpha · (lo, hi)`, or `=` with `overwrite` (plus
/// `start`'s vectors, if it was `given`).
@inline(__always)
private func addRow(_ row: UnsafeMutablePointer<Float>, lo: SIMD16<Float>, hi: SIMD16<Float>, alpha: Float,
                    overwrite: Bool, start: (lo: SIMD16<Float>, hi: SIMD16<Float>, given: Bool)) {
    let out = UnsafeMutableRawPointer(row)
    if overwrite && !start.given {
        out.storeBytes(of: alpha * lo, as: SIMD16<Float>.self)
        out.storeBytes(of: alpha * hi, toByteOffset: 64, as: SIMD16<Float>.self)
        return
    }
    let oldLo = overwrite ? start.lo : out.loadUnaligned(as: SIMD16<Float>.self)
    let oldHi = overwrite ? start.hi : out.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
    out.storeBytes(of: oldLo + alpha * lo, as: SIMD16<Float>.self)
    out.storeBytes(of: oldHi + alpha * hi, toByteOffset: 64, as: SIMD16<Float>.self)
}

/// Writes one packed panel: `dst[p·width + j]` is element `j` (of `count`,
/// the rest zero) at depth `p`, for `p < kc`. In the source, element `(j, p)`
/// is at `rows[p] + j` when `contiguousAcross` (a plain copy of rows)
/// or at `rows[j] + p` (a transpose, done 8×8 in registers).
@inline(__always)
func packPanel<Rows: RowAddresses>(into dst: UnsafeMutablePointer<Float>, width: Int, count: Int, kc: Int,
                                   rows: Rows, contiguousAcross: Bool) {
    if count < width { dst.initialize(repeating: 0, count: width * kc) }
    if contiguousAcross {
        for p in 0..<kc {
            let from = rows[p], to = dst + p * width
            var j = 0
            while j + 8 <= count {
                UnsafeMutableRawPointer(to + j).storeBytes(of: UnsafeRawPointer(from + j).loadUnaligned(as: SIMD8<Float>.self),
                                                           as: SIMD8<Float>.self)
                j += 8
            }
            for j in j..<count { to[j] = from[j] }
        }
        return
    }
    /// Elements `group..<group + size`, `size`×`size` blocks at a time by
    /// `transpose(p)` (`p` the first depth of a block), then the depth left
    /// over one element at a time.
    func transposeGroup(_ group: Int, size: Int, _ transpose: (_ p: Int) -> Void) {
        var p = 0
        while p + size <= kc {
            transpose(p)
            p += size
        }
        for p in p..<kc {
            for j in group..<group + size { dst[p * width + j] = rows[j][p] }
        }
    }
    var group = 0
    while width % 16 == 0 && group + 16 <= count {
        let first = group
        transposeGroup(first, size: 16) { p in
            transpose16x16(rows, first: first, column: p, to: dst + p * width + first, ldTo: width)
        }
        group += 16
    }
    while group + 8 <= count {
        let first = group
        transposeGroup(first, size: 8) { p in
            transpose8x8(rows, first: first, column: p, to: dst + p * width + first, ldTo: width)
        }
        group += 8
    }
    for j in group..<count {
        for p in 0..<kc { dst[p * width + j] = rows[j][p] }
    }
}

/// `to[c·ldTo + r] = rows[first + r][column + c]` for a 16×16 block, as
/// `transpose8x8` does it, in four rounds: B's 32-column panels are packed
/// so, with a third of the 8×8 blocks' shuffles per element.
@inline(__always)
func transpose16x16<Rows: RowAddresses>(_ rows: Rows, first: Int, column: Int, to: UnsafeMutablePointer<Float>,
                                        ldTo: Int) {
    func row(_ r: Int) -> SIMD16<Float> {
        UnsafeRawPointer(rows[first + r] + column).loadUnaligned(as: SIMD16<Float>.self)
    }
    var v = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7),
             row(8), row(9), row(10), row(11), row(12), row(13), row(14), row(15))
    for _ in 0..<4 {
        v = (SIMD16(lowHalf: v.0.evenHalf, highHalf: v.1.evenHalf), SIMD16(lowHalf: v.2.evenHalf, highHalf: v.3.evenHalf),
             SIMD16(lowHalf: v.4.evenHalf, highHalf: v.5.evenHalf), SIMD16(lowHalf: v.6.evenHalf, highHalf: v.7.evenHalf),
             SIMD16(lowHalf: v.8.evenHalf, highHalf: v.9.evenHalf), SIMD16(lowHalf: v.10.evenHalf, highHalf: v.11.evenHalf),
             SIMD16(lowHalf: v.12.evenHalf, highHalf: v.13.evenHalf), SIMD16(lowHalf: v.14.evenHalf, highHalf: v.15.evenHalf),
             SIMD16(lowHalf: v.0.oddHalf, highHalf: v.1.oddHalf), SIMD16(lowHalf: v.2.oddHalf, highHalf: v.3.oddHalf),
             SIMD16(lowHalf: v.4.oddHalf, highHalf: v.5.oddHalf), SIMD16(lowHalf: v.6.oddHalf, highHalf: v.7.oddHalf),
             SIMD16(lowHalf: v.8.oddHalf, highHalf: v.9.oddHalf), SIMD16(lowHalf: v.10.oddHalf, highHalf: v.11.oddHalf),
             SIMD16(lowHalf: v.12.oddHalf, highHalf: v.13.oddHalf), SIMD16(lowHalf: v.14.oddHalf, highHalf: v.15.oddHalf))
    }
    func store(_ vector: SIMD16<Float>, _ r: Int) {
        UnsafeMutableRawPointer(to + r * ldTo).storeBytes(of: vector, as: SIMD16<Float>.self)
    }
    store(v.0, 0); store(v.1, 1); store(v.2, 2); store(v.3, 3)
    store(v.4, 4); store(v.5, 5); store(v.6, 6); store(v.7, 7)
    store(v.8, 8); store(v.9, 9); store(v.10, 10); store(v.11, 11)
    store(v.12, 12); store(v.13, 13); store(v.14, 14); store(v.15, 15)
}

/// `to[c·ldTo + r] = rows[first + r][column + c]` for an 8×8 block: eight
/// row vectors are unshuffled into their even and odd lanes three times,
/// which rotates each element's 6-bit index (row, column) by three bits:
/// the transpose.
@inline(__always)
func transpose8x8<Rows: RowAddresses>(_ rows: Rows, first: Int, column: Int, to: UnsafeMutablePointer<Float>, ldTo: Int) {
    func row(_ r: Int) -> SIMD8<Float> { UnsafeRawPointer(rows[first + r] + column).loadUnaligned(as: SIMD8<Float>.self) }
    var v = (row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7))
    for _ in 0..<3 {
        v = (SIMD8(lowHalf: v.0.evenHalf, highHalf: v.1.evenHalf), SIMD8(lowHalf: v.2.evenHalf, highHalf: v.3.evenHalf),
             SIMD8(lowHalf: v.4.evenHalf, highHalf: v.5.evenHalf), SIMD8(lowHalf: v.6.evenHalf, highHalf: v.7.evenHalf),
             SIMD8(lowHalf: v.0.oddHalf, highHalf: v.1.oddHalf), SIMD8(lowHalf: v.2.oddHalf, highHalf: v.3.oddHalf),
             SIMD8(lowHalf: v.4.oddHalf, highHalf: v.5.oddHalf), SIMD8(lowHalf: v.6.oddHalf, highHalf: v.7.oddHalf))
    }
    func store(_ vector: SIMD8<Float>, _ r: Int) {
        UnsafeMutableRawPointer(to + r * ldTo).storeBytes(of: vector, as: SIMD8<Float>.self)
    }
    store(v.0, 0); store(v.1, 1); store(v.2, 2); store(v.3, 3)
    store(v.4, 4); store(v.5, 5); store(v.6, 6); store(v.7, 7)
}
