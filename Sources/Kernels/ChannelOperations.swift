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
}

/// Per channel, `Σ x`.
public func channelSums(_ x: [Float], _ layout: ChannelLayout) -> [Float] {
    reduceChannels(layout, x, x, [Float](repeating: 0, count: layout.channels)) { x, _, _ in x }
}

/// Per channel, `Σ (x − mean[c])²`.
public func channelSquaredDeviations(_ x: [Float], from mean: [Float], _ layout: ChannelLayout) -> [Float] {
    reduceChannels(layout, x, x, mean) { x, _, mean in (x - mean) * (x - mean) }
}

/// Per channel, `Σ x·y`.
public func channelDots(_ x: [Float], _ y: [Float], _ layout: ChannelLayout) -> [Float] {
    reduceChannels(layout, x, y, [Float](repeating: 0, count: layout.channels)) { x, y, _ in x * y }
}

/// `scale[c]·x + shift[c]` for every element of channel `c`.
public func channelAffine(_ x: [Float], scale: [Float], shift: [Float], _ layout: ChannelLayout) -> [Float] {
    channelCombination(x, times: scale, x, times: [Float](repeating: 0, count: layout.channels),
                       plus: shift, layout)
}

/// `p[c]·x + q[c]·y + r[c]` for every element of channel `c`.
public func channelCombination(_ x: [Float], times p: [Float], _ y: [Float], times q: [Float], plus r: [Float],
                               _ layout: ChannelLayout) -> [Float] {
    precondition(x.count == layout.count && y.count == layout.count, "tensor does not match \(layout)")
    precondition([p, q, r].allSatisfy { $0.count == layout.channels }, "one coefficient per channel expected")
    let (channels, inner) = (layout.channels, layout.inner)
    guard layout.count > 0 else { return [] }
    return [Float](unsafeUninitializedCapacity: layout.count) { out, initialized in
        withPointers(x, y, p, q, r) { x, y, p, q, r in
            let out = out.baseAddress!
            if inner == 1 {
                // Rows of features: the coefficients are vectors across the row.
                for row in stride(from: 0, to: layout.count, by: channels) {
                    forEachVector(channels) { c, lanes in
                        let i = row + c
                        let value = loadVector(p + c, count: lanes) * loadVector(x + i, count: lanes)
                            + loadVector(q + c, count: lanes) * loadVector(y + i, count: lanes)
                            + loadVector(r + c, count: lanes)
                        storeVector(value, out + i, count: lanes)
                    }
                }
            } else {
                // Runs of one channel: the coefficients are broadcast.
                for run in 0..<layout.outer * channels {
                    let c = run % channels, start = run * inner
                    let (pc, qc, rc) = (SIMD16(repeating: p[c]), SIMD16(repeating: q[c]), SIMD16(repeating: r[c]))
                    forEachVector(inner) { j, lanes in
                        let i = start + j
                        let value = pc * loadVector(x + i, count: lanes) + qc * loadVector(y + i, count: lanes) + rc
                        storeVector(value, out + i, count: lanes)
                    }
                }
            }
        }
        initialized = layout.count
    }
}

/// Per channel, the sum of `f(x, y, center[c])` over the channel's elements,
/// in a fixed order (so results do not depend on the thread count).
@inline(__always)
private func reduceChannels(_ layout: ChannelLayout, _ x: [Float], _ y: [Float], _ center: [Float],
                            _ f: (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>) -> [Float] {
    precondition(x.count == layout.count && y.count == layout.count, "tensor does not match \(layout)")
    let (channels, inner) = (layout.channels, layout.inner)
    var sums = [Float](repeating: 0, count: channels)
    guard layout.count > 0 else { return sums }
    withPointers(x, y, center) { x, y, center in
        sums.withUnsafeMutableBufferPointer { sums in
            let sums = sums.baseAddress!
            if inner == 1 {
                for row in stride(from: 0, to: layout.count, by: channels) {
                    forEachVector(channels) { c, lanes in
                        let value = f(loadVector(x + row + c, count: lanes), loadVector(y + row + c, count: lanes),
                                      loadVector(center + c, count: lanes))
                        storeVector(loadVector(sums + c, count: lanes) + value, sums + c, count: lanes)
                    }
                }
            } else {
                let lane = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
                for run in 0..<layout.outer * channels {
                    let c = run % channels, start = run * inner
                    let centre = SIMD16(repeating: center[c])
                    var total = SIMD16<Float>()
                    forEachVector(inner) { j, lanes in
                        let value = f(loadVector(x + start + j, count: lanes), loadVector(y + start + j, count: lanes),
                                      centre)
                        total += value.replacing(with: 0, where: lane .>= Int32(lanes))
                    }
                    sums[c] += total.sum()
                }
            }
        }
    }
    return sums
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
private func withPointers<R>(_ a: [Float], _ b: [Float], _ c: [Float], _ d: [Float], _ e: [Float],
                             _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                                      UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
    withPointers(a, b, c) { a, b, c in
        d.withUnsafeBufferPointer { d in
            e.withUnsafeBufferPointer { e in body(a, b, c, d.baseAddress!, e.baseAddress!) }
        }
    }
}
