/// The optimizers' per-element update rules, sixteen lanes at a time.
/// Each is one pass over a parameter tensor and its state.
///
/// With `streamingWeights`, the new weights go straight to memory
/// (`storeVectorStreaming`). Take it when the threads' cores sit far apart
/// (`CorePlacement`): each weight was read during the step by both cores,
/// and an ordinary store would wait for the other core's copy to be
/// dropped. Near each other, ordinary stores keep the weights in cache for
/// the next step. Either way the values are the same.

/// One step of SGD with momentum, as `torch.optim.SGD` takes it:
/// `g = ∇ + decay·w`, `v = g` on the first step and `μ·v + g` after, then
/// `w −= rate · (g + μ·v)` with Nesterov or `w −= rate · v` without.
public func sgdUpdate(_ value: inout [Float], gradient: [Float], velocity: inout [Float], rate: Float,
                      momentum mu: Float, decay: Float, nesterov: Bool, first: Bool, streamingWeights: Bool = false) {
    precondition(gradient.count == value.count && velocity.count == value.count, "optimizer state does not match")
    gradient.withUnsafeBufferPointer { gradient in
        value.withUnsafeMutableBufferPointer { value in
            velocity.withUnsafeMutableBufferPointer { velocity in
                let update = SGDUpdate(g0: gradient.baseAddress!, w: value.baseAddress!, v: velocity.baseAddress!,
                                       rate: rate, mu: mu, decay: decay, nesterov: nesterov, first: first,
                                       streamingWeights: streamingWeights)
                splitWork(value.count, elements: value.count, update)
            }
        }
    }
}

/// `sgdUpdate` on a chunk of a tensor: gradient `g0`, weight `w`, velocity `v`.
private struct SGDUpdate: WeightUpdate {
    let g0: UnsafePointer<Float>, w: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>
    let rate: Float, mu: Float, decay: Float, nesterov: Bool, first: Bool, streamingWeights: Bool

    @inline(__always)
    func apply(at i: Int, lanes: Int) {
        let weight = loadVector(w + i, count: lanes)
        let g = loadVector(g0 + i, count: lanes) + decay * weight
        let newVelocity = first ? g : mu * loadVector(v + i, count: lanes) + g
        storeVector(newVelocity, v + i, count: lanes)
        storeWeights(weight - rate * (nesterov ? g + mu * newVelocity : newVelocity), at: i, lanes: lanes)
    }
}

/// One step of Adam, as `torch.optim.Adam` takes it: `g = ∇ + decay·w`,
/// moments `m = β₁m + (1−β₁)g`, `v = β₂v + (1−β₂)g²`, then
/// `w −= rate · (m/c₁) / (√(v/c₂) + ε)` with the bias corrections `c₁`, `c₂`.
public func adamUpdate(_ value: inout [Float], gradient: [Float], firstMoment: inout [Float], secondMoment: inout [Float],
                       rate: Float, betas: (Float, Float), epsilon: Float, decay: Float, corrections: (Float, Float),
                       streamingWeights: Bool = false) {
    precondition([gradient.count, firstMoment.count, secondMoment.count].allSatisfy { $0 == value.count },
                 "optimizer state does not match")
    gradient.withUnsafeBufferPointer { gradient in
        value.withUnsafeMutableBufferPointer { value in
            firstMoment.withUnsafeMutableBufferPointer { firstMoment in
                secondMoment.withUnsafeMutableBufferPointer { secondMoment in
                    let update = AdamUpdate(g0: gradient.baseAddress!, w: value.baseAddress!,
                                            m0: firstMoment.baseAddress!, v0: secondMoment.baseAddress!, rate: rate,
                                            betas: betas, epsilon: epsilon, decay: decay, corrections: corrections,
                                            streamingWeights: streamingWeights)
                    splitWork(value.count, elements: value.count, update)
                }
            }
        }
    }
}

/// `adamUpdate` on a chunk of a tensor: gradient `g0`, weight `w`, moments `m0` and `v0`.
private struct AdamUpdate: WeightUpdate {
    let g0: UnsafePointer<Float>, w: UnsafeMutablePointer<Float>
    let m0: UnsafeMutablePointer<Float>, v0: UnsafeMutablePointer<Float>
    let rate: Float, betas: (Float, Float), epsilon: Float, decay: Float, corrections: (Float, Float)
    let streamingWeights: Bool

    @inline(__always)
    func apply(at i: Int, lanes: Int) {
        let (b1, b2) = betas
        let weight = loadVector(w + i, count: lanes)
        let g = loadVector(g0 + i, count: lanes) + decay * weight
        let m = b1 * loadVector(m0 + i, count: lanes) + (1 - b1) * g
        let v = b2 * loadVector(v0 + i, count: lanes) + (1 - b2) * g * g
        storeVector(m, m0 + i, count: lanes)
        storeVector(v, v0 + i, count: lanes)
        let step = rate * (m / corrections.0) / ((v / corrections.1).squareRoot() + epsilon)
        storeWeights(weight - step, at: i, lanes: lanes)
    }
}

/// An optimizer's update on a chunk of a tensor, writing the new weights
/// to `w`, streaming or not (see the top of this file).
private protocol WeightUpdate: ChunkedWork, VectorStep {
    var w: UnsafeMutablePointer<Float> { get }
    var streamingWeights: Bool { get }
}

extension WeightUpdate {
    /// Stores the new weights of the `lanes` elements at `i`: streaming only
    /// whole vectors, which `run` lines up with 64-byte boundaries.
    @inline(__always)
    func storeWeights(_ weights: SIMD16<Float>, at i: Int, lanes: Int) {
        if streamingWeights && lanes == 16 {
            storeVectorStreaming(weights, w + i)
        } else {
            storeVector(weights, w + i, count: lanes)
        }
    }

    /// Streaming, the elements before the chunk's first 64-byte boundary go
    /// first, as one short vector, so that every whole vector after it is aligned.
    func run(_ chunk: Range<Int>) {
        var step = self
        guard streamingWeights else { return forEachVector(chunk, &step) }
        let boundary = min(chunk.upperBound, chunk.lowerBound + elementsBeforeVectorBoundary(w + chunk.lowerBound))
        forEachVector(chunk.lowerBound..<boundary, &step)
        forEachVector(boundary..<chunk.upperBound, &step)
        finishStreamingStores()
    }
}
