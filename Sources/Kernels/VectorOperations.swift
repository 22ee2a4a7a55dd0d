import CGlibc

/// Element-wise kernels on whole arrays, sixteen lanes at a time.
///
/// Layers call these instead of writing element loops over arrays: a plain
/// Swift loop over an array keeps its bounds checks and rarely vectorises.

/// Sixteen floats from `p`, or the first `count` of them and zeros after.
/// A short vector is copied through memory, not lane by lane: the
/// compiler would weave a lane-by-lane loop into the whole-vector path.
@inline(__always)
func loadVector(_ p: UnsafePointer<Float>, count: Int = 16) -> SIMD16<Float> {
    if count >= 16 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }
    var v = SIMD16<Float>()
    withUnsafeMutableBytes(of: &v) { $0.baseAddress!.copyMemory(from: p, byteCount: count * 4) }
    return v
}

/// Stores the first `count` lanes of `v` at `p`.
@inline(__always)
func storeVector(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, count: Int = 16) {
    if count >= 16 { return UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self) }
    withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: count * 4) }
}

/// Stores `v` at `p`, which must be 64-byte aligned, straight to memory:
/// the store neither reads the line first nor waits for other cores'
/// copies of it to be dropped. Such stores are weakly ordered, so
/// `finishStreamingStores()` must follow them before another thread may
/// read what they wrote.
@inline(__always)
func storeVectorStreaming(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    reslab_store_streaming(p, v)
}

/// Orders the calling thread's streaming stores before its later stores
/// (such as the one that tells the pool a part has finished).
@inline(__always)
func finishStreamingStores() {
    reslab_streaming_fence()
}

/// How many elements from `p` come before the first 64-byte boundary.
@inline(__always)
func elementsBeforeVectorBoundary(_ p: UnsafeMutablePointer<Float>) -> Int {
    (64 - Int(bitPattern: p) % 64) % 64 / MemoryLayout<Float>.stride
}

/// Work done on a range a vector at a time: `apply(at:lanes:)` handles the
/// sixteen elements at `offset`, or the `lanes` left at the range's end.
/// Kernels pass a value whose method is `@inline(__always)` rather than a
/// closure: the compiler called a closure once per vector instead of
/// inlining it, which made `relu` three times slower.
protocol VectorStep {
    mutating func apply(at offset: Int, lanes: Int)
}

/// Runs `step` over `range`: the whole vectors with `lanes` a constant 16,
/// which leaves no partial-vector code in their loop, then the rest.
@inline(__always)
func forEachVector<Step: VectorStep>(_ range: Range<Int>, _ step: inout Step) {
    var offset = range.lowerBound
    while offset + 16 <= range.upperBound {
        step.apply(at: offset, lanes: 16)
        offset += 16
    }
    if offset < range.upperBound { step.apply(at: offset, lanes: range.upperBound - offset) }
}

extension ChunkedWork where Self: VectorStep {
    /// A chunk of an element-wise kernel: its vectors, one after another.
    func run(_ chunk: Range<Int>) {
        var step = self
        forEachVector(chunk, &step)
    }
}

/// Kernels touching at least this many elements split their work across the
/// worker pool; below it, moving the data between the cores' caches costs
/// more than the second core saves (measured on `mlp-fashion`'s 16k-element
/// activations).
let parallelThreshold = 1 << 15

/// Runs `work` on chunks of `0..<count` whose bounds are multiples of
/// `grain`: on the worker pool when the work covers at least
/// `parallelThreshold` elements, else once on the whole range.
@inline(__always)
func splitWork<Work: ChunkedWork>(_ count: Int, grain: Int = 16, elements: Int, _ work: Work) {
    if elements >= parallelThreshold {
        WorkerPool.shared.forEachChunk(of: count, grain: grain, work)
    } else {
        work.run(0..<count)
    }
}

/// An element-wise function of one or two vectors. Kernels take it as a
/// type, not a closure, so that each use is specialised and inlined even
/// inside the chunks handed to the worker pool. Each `apply` is marked
/// `@inline(__always)`: left to itself the compiler called the small ones
/// once per vector, passing each vector as four 4-lane pieces.
protocol ElementwiseFunction {
    static func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float>
}

/// `out[i] = F(a[i], b[i])` for `count` elements (`out` may be `a`), large
/// counts split across the threads in contiguous parts.
@inline(__always)
func applyVectors<F: ElementwiseFunction>(_: F.Type, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                          into out: UnsafeMutablePointer<Float>, count: Int) {
    splitWork(count, elements: count, ElementwiseApplication<F>(a: a, b: b, out: out))
}

/// `applyVectors`' work on a chunk of the elements.
private struct ElementwiseApplication<F: ElementwiseFunction>: ChunkedWork, VectorStep {
    let a: UnsafePointer<Float>, b: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>

    @inline(__always)
    func apply(at i: Int, lanes: Int) {
        storeVector(F.apply(loadVector(a + i, count: lanes), loadVector(b + i, count: lanes)), out + i, count: lanes)
    }
}

/// `F(a, b)` element-wise (`F(a, a)` when `b` is omitted), written into
/// `out`, an array of the same size (its old values are not read).
@inline(__always)
func mapVectors<F: ElementwiseFunction>(_: F.Type, _ a: [Float], _ b: [Float]? = nil, into out: inout [Float]) {
    let b = b ?? a
    precondition(a.count == b.count && out.count == a.count,
                 "element-wise operands differ in size: \(a.count), \(b.count) and \(out.count)")
    out.withUnsafeMutableBufferPointer { out in
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                guard let a = a.baseAddress else { return }
                applyVectors(F.self, a, b.baseAddress!, into: out.baseAddress!, count: out.count)
            }
        }
    }
}

/// `a` as it is.
enum Unchanged: ElementwiseFunction {
    @inline(__always) static func apply(_ a: SIMD16<Float>, _: SIMD16<Float>) -> SIMD16<Float> { a }
}

enum Sum: ElementwiseFunction {
    @inline(__always) static func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> { a + b }
}

/// `max(a, 0)`, keeping NaN.
enum RectifiedLinear: ElementwiseFunction {
    @inline(__always) static func apply(_ a: SIMD16<Float>, _: SIMD16<Float>) -> SIMD16<Float> {
        a.replacing(with: 0, where: a .< 0)
    }
}

/// `a` where `b > 0`, else 0.
enum PositiveMask: ElementwiseFunction {
    @inline(__always) static func apply(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        a.replacing(with: 0, where: .!(b .> 0))
    }
}

/// `a + b`, element-wise.
public func add(_ a: [Float], _ b: [Float]) -> [Float] {
    var sum = [Float](repeating: 0, count: a.count)
    mapVectors(Sum.self, a, b, into: &sum)
    return sum
}

/// `a += b`, element-wise, in `a`'s own storage (no new array when `a`
/// is not shared), large arrays split across the threads.
public func addInPlace(_ a: inout [Float], _ b: [Float]) {
    updateVectors(Sum.self, &a, b)
}

/// `a ← F(a, b)` (`F(a, a)` when `b` is nil) in `a`'s own storage.
@inline(__always)
func updateVectors<F: ElementwiseFunction>(_: F.Type, _ a: inout [Float], _ b: [Float]?) {
    precondition(b == nil || a.count == b!.count, "element-wise operands differ in size: \(a.count) and \(b!.count)")
    let count = a.count
    a.withUnsafeMutableBufferPointer { a in
        guard let a = a.baseAddress else { return }
        guard let b else { return applyVectors(F.self, a, a, into: a, count: count) }
        b.withUnsafeBufferPointer { b in applyVectors(F.self, a, b.baseAddress!, into: a, count: count) }
    }
}

/// `max(x, 0)`, element-wise, into `out`; a NaN stays NaN, so that divergence shows.
public func relu(_ x: [Float], into out: inout [Float]) {
    mapVectors(RectifiedLinear.self, x, into: &out)
}

/// `max(x, 0)` in `x`'s own storage (copied first only if it is shared).
public func reluInPlace(_ x: inout [Float]) {
    updateVectors(RectifiedLinear.self, &x, nil)
}

/// The gradient through a ReLU from its output `y`, in `dy`'s own
/// storage: `dy` where `y > 0`, else 0.
public func reluBackwardInPlace(_ dy: inout [Float], output y: [Float]) {
    updateVectors(PositiveMask.self, &dy, y)
}

/// `Σ xᵢ²`, accumulated in double precision so that gradients as small as
/// 1e-30 (a vanishing-gradient network) do not underflow when squared.
public func sumOfSquares(_ x: [Float]) -> Double {
    x.withUnsafeBufferPointer { x in
        guard let start = x.baseAddress else { return 0 }
        var squares = SquaresSum(x: start)
        forEachVector(0..<x.count, &squares)
        return squares.sum.total
    }
}

/// A running sum of squares in double precision: each vector's low and
/// high halves squared and added into their own eight lanes.
struct SquareAccumulator {
    var low = SIMD8<Double>(), high = SIMD8<Double>()

    @inline(__always)
    mutating func add(squaresOf v: SIMD16<Float>) {
        let l = SIMD8<Double>(v.lowHalf), h = SIMD8<Double>(v.highHalf)
        low.addProduct(l, l)
        high.addProduct(h, h)
    }

    var total: Double { (low + high).sum() }
}

/// `sumOfSquares`' walk over the vectors.
private struct SquaresSum: VectorStep {
    let x: UnsafePointer<Float>
    var sum = SquareAccumulator()

    @inline(__always)
    mutating func apply(at i: Int, lanes: Int) {
        sum.add(squaresOf: loadVector(x + i, count: lanes))
    }
}

/// `a += b`, returning `Σa²` and `Σb²` of the operands as they were, each
/// to the same bits as `sumOfSquares`. A residual block measures what it
/// adds this way: the squares, in double precision, take longer than the
/// addition, which then costs no pass over memory of its own. It runs on
/// the calling thread whatever the size, as `sumOfSquares` does.
public func addInPlaceSummingSquares(_ a: inout [Float], _ b: [Float]) -> (a: Double, b: Double) {
    let squares = addMeasuring(&a, b, operands: true)
    return (squares.first.total, squares.second.total)
}

/// `a += b`, returning the sum's `Σ(a + b)²`, to the same bits as
/// `sumOfSquares` of the result, in the same single pass.
public func addInPlaceSummingSquaresOfSum(_ a: inout [Float], _ b: [Float]) -> Double {
    addMeasuring(&a, b, operands: false).first.total
}

/// Runs `MeasuredAddition` over `a` and `b` and returns its sums.
private func addMeasuring(_ a: inout [Float], _ b: [Float],
                          operands: Bool) -> (first: SquareAccumulator, second: SquareAccumulator) {
    precondition(a.count == b.count, "element-wise operands differ in size: \(a.count) and \(b.count)")
    let count = a.count
    return a.withUnsafeMutableBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            guard let a = a.baseAddress, let b = b.baseAddress else { return (SquareAccumulator(), SquareAccumulator()) }
            var step = MeasuredAddition(a: a, b: b, measuresOperands: operands)
            forEachVector(0..<count, &step)
            return (step.first, step.second)
        }
    }
}

/// The walk of the additions that sum squares: `first` those of `a` or
/// of the sum, `second` those of `b` when the operands are measured.
private struct MeasuredAddition: VectorStep {
    let a: UnsafeMutablePointer<Float>, b: UnsafePointer<Float>
    let measuresOperands: Bool
    var first = SquareAccumulator(), second = SquareAccumulator()

    @inline(__always)
    mutating func apply(at i: Int, lanes: Int) {
        let (x, y) = (loadVector(a + i, count: lanes), loadVector(b + i, count: lanes))
        let sum = x + y
        if measuresOperands {
            first.add(squaresOf: x)
            second.add(squaresOf: y)
        } else {
            first.add(squaresOf: sum)
        }
        storeVector(sum, a + i, count: lanes)
    }
}

/// Sets every element to zero, keeping the storage.
public func setToZero(_ x: inout [Float]) {
    x.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
}

