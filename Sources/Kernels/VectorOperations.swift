/// Element-wise kernels on whole arrays, sixteen lanes at a time.
///
/// Layers call these instead of writing element loops over arrays: a plain
/// Swift loop over an array keeps its bounds checks and rarely vectorises.

/// Sixteen floats from `p`, or the first `count` of them and zeros after.
@inline(__always)
func loadVector(_ p: UnsafePointer<Float>, count: Int = 16) -> SIMD16<Float> {
    if count >= 16 { return UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self) }
    var v = SIMD16<Float>()
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Stores the first `count` lanes of `v` at `p`.
@inline(__always)
func storeVector(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, count: Int = 16) {
    if count >= 16 { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self); return }
    for i in 0..<count { p[i] = v[i] }
}

/// Calls `body(offset, lanes)` for each run of up to sixteen elements of `0..<count`.
@inline(__always)
func forEachVector(_ count: Int, _ body: (_ offset: Int, _ lanes: Int) -> Void) {
    var offset = 0
    while offset < count {
        body(offset, min(16, count - offset))
        offset += 16
    }
}

/// `f(a)` element-wise, for an `f` written on vectors.
@inline(__always)
func mapVectors(_ a: [Float], _ f: (SIMD16<Float>) -> SIMD16<Float>) -> [Float] {
    [Float](unsafeUninitializedCapacity: a.count) { out, initialized in
        a.withUnsafeBufferPointer { a in
            forEachVector(a.count) { i, lanes in
                storeVector(f(loadVector(a.baseAddress! + i, count: lanes)), out.baseAddress! + i, count: lanes)
            }
        }
        initialized = a.count
    }
}

/// `f(a, b)` element-wise, for an `f` written on vectors.
@inline(__always)
func mapVectors(_ a: [Float], _ b: [Float], _ f: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>) -> [Float] {
    precondition(a.count == b.count, "element-wise operands differ in size: \(a.count) and \(b.count)")
    return [Float](unsafeUninitializedCapacity: a.count) { out, initialized in
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                forEachVector(a.count) { i, lanes in
                    let result = f(loadVector(a.baseAddress! + i, count: lanes), loadVector(b.baseAddress! + i, count: lanes))
                    storeVector(result, out.baseAddress! + i, count: lanes)
                }
            }
        }
        initialized = a.count
    }
}

/// `a + b`, element-wise.
public func add(_ a: [Float], _ b: [Float]) -> [Float] {
    mapVectors(a, b, +)
}

/// `max(x, 0)`, element-wise; a NaN stays NaN, so that divergence shows.
public func relu(_ x: [Float]) -> [Float] {
    mapVectors(x) { $0.replacing(with: 0, where: $0 .< 0) }
}

/// The gradient through a ReLU from its output `y`: `dy` where `y > 0`, else 0.
public func reluBackward(_ dy: [Float], output y: [Float]) -> [Float] {
    mapVectors(dy, y) { dy, y in dy.replacing(with: 0, where: .!(y .> 0)) }
}

/// `Σ xᵢ²`, accumulated in double precision so that gradients as small as
/// 1e-30 (a vanishing-gradient network) do not underflow when squared.
public func sumOfSquares(_ x: [Float]) -> Double {
    x.withUnsafeBufferPointer { x in
        var low = SIMD8<Double>(), high = SIMD8<Double>()
        forEachVector(x.count) { i, lanes in
            let v = loadVector(x.baseAddress! + i, count: lanes)
            let l = SIMD8<Double>(v.lowHalf), h = SIMD8<Double>(v.highHalf)
            low.addProduct(l, l)
            high.addProduct(h, h)
        }
        return (low + high).sum()
    }
}

/// Sets every element to zero, keeping the storage.
public func setToZero(_ x: inout [Float]) {
    x.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
}

/// `row` repeated `count` times, one after another.
public func repeatedRows(_ row: [Float], count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: row.count * count) { out, initialized in
        for r in 0..<count {
            _ = UnsafeMutableBufferPointer(rebasing: out[r * row.count..<(r + 1) * row.count]).initialize(from: row)
        }
        initialized = row.count * count
    }
}
