/// Copies and zero fills of short runs of floats, such as one image row.
///
/// Padding a convolution's input and copying its output back move one image
/// row at a time: 28, 14 or 7 floats at Fashion-MNIST's sizes, with one
/// padding zero between rows. `update(from:count:)` and
/// `update(repeating:count:)` call the C library's `memmove` and `memset`
/// for each of them, and on runs this short the call costs more than the
/// copy. These stay inline: a run is covered by the widest vector that fits
/// (16, 8, 4 or 2 floats), the last vector overlapping the one before it
/// instead of a loop over the leftover floats.

/// `target[0..<count] = source[0..<count]`; the two must not overlap.
@inline(__always)
public func copyRun(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 16 {
        copyCovering(SIMD16<Float>.self, source, target, count)
    } else if count >= 8 {
        copyCovering(SIMD8<Float>.self, source, target, count)
    } else if count >= 4 {
        copyCovering(SIMD4<Float>.self, source, target, count)
    } else if count >= 2 {
        copyCovering(SIMD2<Float>.self, source, target, count)
    } else if count == 1 {
        target[0] = source[0]
    }
}

/// `target[0..<count] = 0`.
@inline(__always)
public func zeroRun(_ target: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 16 {
        zeroCovering(SIMD16<Float>.self, target, count)
    } else if count >= 8 {
        zeroCovering(SIMD8<Float>.self, target, count)
    } else if count >= 4 {
        zeroCovering(SIMD4<Float>.self, target, count)
    } else if count >= 2 {
        zeroCovering(SIMD2<Float>.self, target, count)
    } else if count == 1 {
        target[0] = 0
    }
}

/// `copyRun` with vectors `V` at `0, w, 2w, …` and at `count − w`, which
/// together cover `0..<count` (`count ≥ w`, the width of `V`).
@inline(__always)
private func copyCovering<V: SIMD>(_: V.Type, _ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>,
                                   _ count: Int) where V.Scalar == Float {
    func move(_ offset: Int) {
        UnsafeMutableRawPointer(target + offset)
            .storeBytes(of: UnsafeRawPointer(source + offset).loadUnaligned(as: V.self), as: V.self)
    }
    var offset = 0
    while offset + V.scalarCount < count {
        move(offset)
        offset += V.scalarCount
    }
    move(count - V.scalarCount)
}

/// `zeroRun` with vectors `V`, placed as `copyCovering` places them.
@inline(__always)
private func zeroCovering<V: SIMD>(_: V.Type, _ target: UnsafeMutablePointer<Float>, _ count: Int)
where V.Scalar == Float {
    var offset = 0
    while offset + V.scalarCount < count {
        UnsafeMutableRawPointer(target + offset).storeBytes(of: V(), as: V.self)
        offset += V.scalarCount
    }
    UnsafeMutableRawPointer(target + count - V.scalarCount).storeBytes(of: V(), as: V.self)
}
