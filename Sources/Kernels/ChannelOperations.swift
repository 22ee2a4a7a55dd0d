/// A tensor seen as `[outer, channels, inner]`, for work done per channel
/// (batch normalisation, bias gradients): dense `[batch, features]` is
/// `[batch, features, 1]` and channel-major `[C, N, H, W]` is `[1, C, N·H·W]`.
public struct ChannelLayout: Sendable, Equatable {
    public let outer, channels, inner: Int

    public init(outer: Int, channels: Int, inner: Int) {
        (self.outer, self.channels, self.inner) = (outer, channels, inner)
    }

    /// Elements in the tensor.
    public var count: Int { outer * channels * inner }

    /// A flat array with no channels to respect: one channel, one run.
    public init(flat count: Int) {
        self.init(outer: 1, channels: 1, inner: count)
    }
}

// Per-channel reductions write into an array the caller keeps (its
// storage reused when it is not shared), so that a layer that keeps its own
// allocates nothing here.

/// Per channel, `Σ x`, into `sums`.
public func channelSums(_ x: [Float], _ layout: ChannelLayout, into sums: inout [Float]) {
    // A plain sum reads no centre; x itself stands in for one.
    reduceChannels(Value.self, layout, x, x, x, into: &sums)
}

/// Per channel, `Σ (x − mean[c])²`, into `sums`.
public func channelSquaredDeviations(_ x: [Float], from mean: [Float], _ layout: ChannelLayout,
                                     into sums: inout [Float]) {
    reduceChannels(SquaredDeviation.self, layout, x, x, mean, into: &sums)
}

/// Per channel, `Σ x·(y − center[c])`, into `sums`.
public func channelDots(_ x: [Float], _ y: [Float], centeredAt center: [Float], _ layout: ChannelLayout,
                        into sums: inout [Float]) {
    reduceChannels(CenteredProduct.self, layout, x, y, center, into: &sums)
}

/// The term a channel reduction sums, from `x`, `y` and the channel's
/// centre (each `term` `@inline(__always)`, as `ElementwiseFunction.apply` is).
protocol ChannelTerm {
    static func term(_ x: SIMD16<Float>, _ y: SIMD16<Float>, _ center: SIMD16<Float>) -> SIMD16<Float>
}

enum Value: ChannelTerm {
    @inline(__always) static func term(_ x: SIMD16<Float>, _: SIMD16<Float>, _: SIMD16<Float>) -> SIMD16<Float> {
        x
    }
}

enum SquaredDeviation: ChannelTerm {
    @inline(__always) static func term(_ x: SIMD16<Float>, _: SIMD16<Float>, _ center: SIMD16<Float>) -> SIMD16<Float> {
        (x - center) * (x - center)
    }
}

enum CenteredProduct: ChannelTerm {
    @inline(__always) static func term(_ x: SIMD16<Float>, _ y: SIMD16<Float>, _ center: SIMD16<Float>) -> SIMD16<Float> {
        x * (y - center)
    }
}

/// `p[c]·x + q[c]·y + r[c]` for every element of channel `c`, written into
/// `out`, an array of the same size (its old values are not read). With
/// `rectified`, each value goes through a ReLU on its way out: a batch norm
/// and the ReLU after it in one pass over memory instead of two, to the
/// same bits.
public func channelCombination(_ x: [Float], times p: [Float], _ y: [Float], times q: [Float], plus r: [Float],
                               _ layout: ChannelLayout, into out: inout [Float], rectified: Bool = false) {
    checkCombination(x, y, p, q, r, layout)
    precondition(out.count == layout.count, "output does not match \(layout)")
    guard layout.count > 0 else { return }
    out.withUnsafeMutableBufferPointer { out in
        withPointers(x, y, p, q, r) { x, y, p, q, r in
            if rectified {
                combineChannels(x, p, y, q, r, layout, into: out.baseAddress!, then: RectifiedLinear.self)
            } else {
                combineChannels(x, p, y, q, r, layout, into: out.baseAddress!, then: Unchanged.self)
            }
        }
    }
}

/// `x ← p[c]·x + q[c]·y + r[c]` for every element of channel `c`, in `x`'s
/// own storage (copied first only if it is shared).
public func channelCombination(inPlace x: inout [Float], times p: [Float], _ y: [Float], times q: [Float],
                               plus r: [Float], _ layout: ChannelLayout) {
    checkCombination(x, y, p, q, r, layout)
    guard layout.count > 0 else { return }
    x.withUnsafeMutableBufferPointer { out in
        withPointers(y, p, q, r) { y, p, q, r in
            combineChannels(out.baseAddress!, p, y, q, r, layout, into: out.baseAddress!, then: Unchanged.self)
        }
    }
}

private func checkCombination(_ x: [Float], _ y: [Float], _ p: [Float], _ q: [Float], _ r: [Float],
                              _ layout: ChannelLayout) {
    precondition(x.count == layout.count && y.count == layout.count, "tensor does not match \(layout)")
    precondition([p, q, r].allSatisfy { $0.count == layout.channels }, "one coefficient per channel expected")
}

/// The work of `channelCombination`, split over the threads by channel or
/// by row, each value passed through `Finish` as it is stored; `out` may be
/// `x`, each element being read before it is written.
@inline(__always)
private func combineChannels<Finish: ElementwiseFunction>(
    _ x: UnsafePointer<Float>, _ p: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ q: UnsafePointer<Float>,
    _ r: UnsafePointer<Float>, _ layout: ChannelLayout, into out: UnsafeMutablePointer<Float>, then _: Finish.Type
) {
    let work = ChannelCombination<Finish>(x: x, p: p, y: y, q: q, r: r, layout: layout, out: out)
    // Dense tensors are cut between rows, channel-major ones between
    // channels, so that each part is contiguous and no two threads write
    // to one cache line.
    splitWork(layout.inner == 1 ? layout.outer : layout.channels, grain: 1, elements: layout.count, work)
}

/// `channelCombination` on a chunk of a tensor: rows of a dense tensor, or
/// channels of a channel-major one.
private struct ChannelCombination<Finish: ElementwiseFunction>: ChunkedWork {
    let x: UnsafePointer<Float>, p: UnsafePointer<Float>, y: UnsafePointer<Float>, q: UnsafePointer<Float>
    let r: UnsafePointer<Float>, layout: ChannelLayout, out: UnsafeMutablePointer<Float>

    func run(_ chunk: Range<Int>) {
        let (channels, inner) = (layout.channels, layout.inner)
        if inner == 1 {
            // Rows of features: the coefficients are vectors across the row.
            // Whole vectors pass constant lanes, which keeps the partial
            // last one out of their loop.
            @inline(__always) func combine(_ row: Int, _ c: Int, _ lanes: Int) {
                let i = row * channels + c
                let value = loadVector(p + c, count: lanes) * loadVector(x + i, count: lanes)
                    + loadVector(q + c, count: lanes) * loadVector(y + i, count: lanes)
                    + loadVector(r + c, count: lanes)
                storeVector(Finish.apply(value, value), out + i, count: lanes)
            }
            let whole = channels / 16 * 16
            for row in chunk {
                for c in stride(from: 0, to: whole, by: 16) { combine(row, c, 16) }
                if whole < channels { combine(row, whole, channels - whole) }
            }
        } else {
            // Runs of one channel: the coefficients are broadcast.
            for o in 0..<layout.outer {
                for c in chunk {
                    let start = (o * channels + c) * inner
                    var run = ChannelRunCombination<Finish>(x: x, y: y, out: out, p: SIMD16(repeating: p[c]),
                                                            q: SIMD16(repeating: q[c]), r: SIMD16(repeating: r[c]))
                    forEachVector(start..<start + inner, &run)
                }
            }
        }
    }
}

/// `channelCombination` on a run of one channel, whose coefficients `p`,
/// `q` and `r` are broadcast to every lane.
private struct ChannelRunCombination<Finish: ElementwiseFunction>: VectorStep {
    let x: UnsafePointer<Float>, y: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>
    let p: SIMD16<Float>, q: SIMD16<Float>, r: SIMD16<Float>

    @inline(__always)
    func apply(at i: Int, lanes: Int) {
        let value = p * loadVector(x + i, count: lanes) + q * loadVector(y + i, count: lanes) + r
        storeVector(Finish.apply(value, value), out + i, count: lanes)
    }
}

/// Per channel, the sum of `T.term(x, y, center[c])` over the channel's
/// elements, in a fixed order (so results do not depend on the thread count),
/// into `sums`.
@inline(__always)
private func reduceChannels<T: ChannelTerm>(_: T.Type, _ layout: ChannelLayout, _ x: [Float], _ y: [Float],
                                            _ center: [Float], into sums: inout [Float]) {
    precondition(x.count == layout.count && y.count == layout.count, "tensor does not match \(layout)")
    sums.removeAll(keepingCapacity: true)
    sums.append(contentsOf: repeatElement(0, count: layout.channels))
    guard layout.count > 0 else { return }
    withPointers(x, y, center) { x, y, center in
        sums.withUnsafeMutableBufferPointer { sums in
            let work = ChannelReduction<T>(x: x, y: y, center: center, layout: layout, sums: sums.baseAddress!)
            // Each channel is summed by one call, in the same order whatever
            // the thread count.
            splitWork(layout.channels, grain: layout.inner == 1 ? 16 : 1, elements: layout.count, work)
        }
    }
}

/// `reduceChannels` on a range of channels.
private struct ChannelReduction<T: ChannelTerm>: ChunkedWork {
    let x: UnsafePointer<Float>, y: UnsafePointer<Float>, center: UnsafePointer<Float>
    let layout: ChannelLayout, sums: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        let (channels, inner) = (layout.channels, layout.inner)
        if inner == 1 {
            // Whole vectors of channels, four at a time, then up to three;
            // each call's lanes are constants, so no partial vector is
            // loaded row after row. Channels left over are summed one by one.
            var first = range.lowerBound
            while first + 64 <= range.upperBound {
                sumDownRows(from: first, lanes: (16, 16, 16, 16))
                first += 64
            }
            let wholeVectors = (range.upperBound - first) / 16
            switch wholeVectors {
            case 3: sumDownRows(from: first, lanes: (16, 16, 16, 0))
            case 2: sumDownRows(from: first, lanes: (16, 16, 0, 0))
            case 1: sumDownRows(from: first, lanes: (16, 0, 0, 0))
            default: break
            }
            for c in first + 16 * wholeVectors..<range.upperBound { sumDownRows(channel: c) }
        } else {
            for o in 0..<layout.outer {
                for c in range {
                    let start = (o * channels + c) * inner
                    let run = ChannelRunTerm<T>(x: x, y: y, center: SIMD16(repeating: center[c]))
                    sums[c] += sumRun(start..<start + inner, run)
                }
            }
        }
    }
}

extension ChannelReduction {
    /// Sums four vectors of channels of a dense tensor down its rows (the
    /// `lanes` of each that exist: 16 or 0), in four accumulators, whose
    /// additions do not wait for one another (through `sums` in memory,
    /// each waited for the last).
    @inline(__always)
    private func sumDownRows(from first: Int, lanes: (Int, Int, Int, Int)) {
        let channels = layout.channels
        @inline(__always) func term(_ row: Int, _ k: Int, _ lanes: Int) -> SIMD16<Float> {
            let c = first + 16 * k
            return T.term(loadVector(x + row + c, count: lanes), loadVector(y + row + c, count: lanes),
                          loadVector(center + c, count: lanes))
        }
        var totals = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        for row in stride(from: 0, to: layout.count, by: channels) {
            totals.0 += term(row, 0, lanes.0)
            totals.1 += term(row, 1, lanes.1)
            totals.2 += term(row, 2, lanes.2)
            totals.3 += term(row, 3, lanes.3)
        }
        storeVector(totals.0, sums + first, count: lanes.0)
        storeVector(totals.1, sums + first + 16, count: lanes.1)
        storeVector(totals.2, sums + first + 32, count: lanes.2)
        storeVector(totals.3, sums + first + 48, count: lanes.3)
    }

    /// Sums one channel of a dense tensor down its rows, in the same order
    /// and to the same bits as its lane of a vector would be.
    private func sumDownRows(channel c: Int) {
        var total: Float = 0
        for row in stride(from: 0, to: layout.count, by: layout.channels) {
            total += T.term(SIMD16(repeating: x[row + c]), SIMD16(repeating: y[row + c]),
                            SIMD16(repeating: center[c]))[0]
        }
        sums[c] = total
    }
}

/// `T.term` on a run of one channel, whose centre is broadcast to every lane.
private struct ChannelRunTerm<T: ChannelTerm> {
    let x: UnsafePointer<Float>, y: UnsafePointer<Float>, center: SIMD16<Float>

    @inline(__always)
    func term(at i: Int, lanes: Int) -> SIMD16<Float> {
        T.term(loadVector(x + i, count: lanes), loadVector(y + i, count: lanes), center)
    }
}

/// The sum of `run`'s terms over the vectors of `range`, the lanes past a
/// short last vector left out. Four accumulators take turns, so that the
/// additions do not wait for one another.
@inline(__always)
private func sumRun<T: ChannelTerm>(_ range: Range<Int>, _ run: ChannelRunTerm<T>) -> Float {
    var totals = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    var i = range.lowerBound
    while i + 64 <= range.upperBound {
        totals.0 += run.term(at: i, lanes: 16)
        totals.1 += run.term(at: i + 16, lanes: 16)
        totals.2 += run.term(at: i + 32, lanes: 16)
        totals.3 += run.term(at: i + 48, lanes: 16)
        i += 64
    }
    while i + 16 <= range.upperBound {
        totals.0 += run.term(at: i, lanes: 16)
        i += 16
    }
    if i < range.upperBound {
        let lanes = range.upperBound - i
        let lane = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        totals.0 += run.term(at: i, lanes: lanes).replacing(with: 0, where: lane .>= Int32(lanes))
    }
    return ((totals.0 + totals.1) + (totals.2 + totals.3)).sum()
}

/// Borrows the storage of several arrays at once.
@inline(__always)
private func withPointers<R>(_ a: [Float], _ b: [Float], _ c: [Float],
                             _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            c.withUnsafeBufferPointer { c in body(a.baseAddress!, b.baseAddress!, c.baseAddress!) }
        }
    }
}

@inline(__always)
private func withPointers<R>(_ a: [Float], _ b: [Float], _ c: [Float], _ d: [Float],
                             _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                      UnsafePointer<Float>) -> R) -> R {
    withPointers(a, b, c) { a, b, c in
        d.withUnsafeBufferPointer { d in body(a, b, c, d.baseAddress!) }
    }
}

@inline(__always)
private func withPointers<R>(_ a: [Float], _ b: [Float], _ c: [Float], _ d: [Float], _ e: [Float],
                             _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                      UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
    withPointers(a, b, c, d) { a, b, c, d in
        e.withUnsafeBufferPointer { e in body(a, b, c, d, e.baseAddress!) }
    }
}
