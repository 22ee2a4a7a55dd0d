import Testing
import Kernels

/// The vectorised element-wise and per-channel kernels against plain loops,
/// on sizes that leave partial vectors at the end of rows and runs.
struct VectorOperationsTests {
    /// Dense `[5, 19, 1]`, `[7, 115, 1]` and `[3, 40, 1]` (a dense reduction
    /// sums 64 features at once, then 48, 32 or 16, then the rest one by
    /// one: 16 + 3, 64 + 48 + 3, 32 + 8) and channel-major `[1, 3, 37]`
    /// (tails within runs).
    static let layouts = [ChannelLayout(outer: 5, channels: 19, inner: 1), ChannelLayout(outer: 7, channels: 115, inner: 1),
                          ChannelLayout(outer: 3, channels: 40, inner: 1), ChannelLayout(outer: 1, channels: 3, inner: 37),
                          ChannelLayout(outer: 2, channels: 3, inner: 16)]

    /// The channel of element `i`.
    private func channel(_ i: Int, _ layout: ChannelLayout) -> Int { (i / layout.inner) % layout.channels }

    @Test(arguments: layouts)
    func channelReductionsMatchPlainSums(layout: ChannelLayout) {
        var rng = SeededGenerator(seed: 21)
        let x = randomArray(layout.count, &rng), y = randomArray(layout.count, &rng)
        let mean = randomArray(layout.channels, &rng)
        var sums = [Float](repeating: 0, count: layout.channels), deviations = sums, dots = sums
        for i in x.indices {
            let c = channel(i, layout)
            sums[c] += x[i]
            deviations[c] += (x[i] - mean[c]) * (x[i] - mean[c])
            dots[c] += x[i] * (y[i] - mean[c])
        }
        expectClose(reduced { channelSums(x, layout, into: &$0) }, sums)
        expectClose(reduced { channelSquaredDeviations(x, from: mean, layout, into: &$0) }, deviations)
        expectClose(reduced { channelDots(x, y, centeredAt: mean, layout, into: &$0) }, dots)
    }

    /// Rectified, the combination is the ReLU of the plain one, bit for
    /// bit: the fused batch norm and ReLU must not change a result.
    @Test(arguments: layouts)
    func channelCombinationAppliesEachChannelsCoefficients(layout: ChannelLayout) {
        var rng = SeededGenerator(seed: 22)
        let x = randomArray(layout.count, &rng), y = randomArray(layout.count, &rng)
        let p = randomArray(layout.channels, &rng), q = randomArray(layout.channels, &rng)
        let r = randomArray(layout.channels, &rng)
        let expected = x.indices.map { i in
            let c = channel(i, layout)
            return p[c] * x[i] + q[c] * y[i] + r[c]
        }
        let plain = combined(x, times: p, y, times: q, plus: r, layout)
        expectClose(plain, expected)
        var fused = [Float](repeating: .nan, count: x.count)
        channelCombination(x, times: p, y, times: q, plus: r, layout, into: &fused, rectified: true)
        #expect(fused == rectified(plain))
        #expect(fused.contains(0) && fused.contains { $0 > 0 }, "both sides of the ReLU must be exercised")
    }

    @Test func reluKeepsNaNAndItsBackwardFollowsTheOutput() {
        let x: [Float] = [-2, -0.5, 0, 0.5, 3, .nan] + (0..<20).map { Float($0) - 10 }
        let y = rectified(x)
        #expect(y[0] == 0 && y[3] == 0.5 && y[4] == 3 && y[5].isNaN)
        #expect(Array(y[6...]) == (0..<20).map { max(Float($0) - 10, 0) })
        var dy = [Float](repeating: 2, count: x.count)
        reluBackwardInPlace(&dy, output: y)
        #expect(dy == y.map { $0 > 0 ? 2 : 0 })
    }

    @Test func sumOfSquaresDoesNotUnderflowForVanishingGradients() {
        let tiny = [Float](repeating: 1e-30, count: 33)
        #expect(abs(sumOfSquares(tiny) - 33e-60) < 1e-64)
        #expect(sumOfSquares([3, 4]) == 25)
        #expect(sumOfSquares([]) == 0)
    }

    @Test func addAndZeroing() {
        let a = (0..<21).map(Float.init), b = (0..<21).map { Float($0) * 10 }
        #expect(add(a, b) == (0..<21).map { Float($0) * 11 })
        var sum = a
        addInPlace(&sum, b)
        #expect(sum == add(a, b) && a == (0..<21).map(Float.init))
        var z = a
        setToZero(&z)
        #expect(z == [Float](repeating: 0, count: 21))
    }

    /// Adding while summing squares gives the sum `addInPlace` gives and
    /// the squares `sumOfSquares` gives, bit for bit, whole vectors and a
    /// partial one alike (a residual block's measurements depend on it).
    @Test(arguments: [0, 1, 16, 37, 8192])
    func addingWhileSummingSquaresMatchesTheSeparatePasses(count: Int) {
        var rng = SeededGenerator(seed: 29)
        let a = randomArray(count, &rng), b = randomArray(count, &rng)
        var plain = a
        addInPlace(&plain, b)
        var measured = a
        let operands = addInPlaceSummingSquares(&measured, b)
        #expect(measured == plain)
        #expect(operands.a.bitPattern == sumOfSquares(a).bitPattern && operands.b.bitPattern == sumOfSquares(b).bitPattern)
        var summed = a
        let squaresOfSum = addInPlaceSummingSquaresOfSum(&summed, b)
        #expect(summed == plain && squaresOfSum.bitPattern == sumOfSquares(plain).bitPattern)
        if count > 0 { #expect(squaresOfSum > 0 && operands.a > 0) }
    }

    /// Tensors large enough to be split across the threads give the same
    /// bits with one thread or two, in both layouts.
    @Test(arguments: [ChannelLayout(outer: 300, channels: 130, inner: 1), ChannelLayout(outer: 1, channels: 5, inner: 9001)])
    func largeTensorsGiveTheSameBitsWithOneOrTwoThreads(layout: ChannelLayout) {
        var rng = SeededGenerator(seed: 23)
        let x = randomArray(layout.count, &rng), y = randomArray(layout.count, &rng)
        let p = randomArray(layout.channels, &rng)
        func everything() -> [[Float]] {
            [reduced { channelSums(x, layout, into: &$0) }, reduced { channelSquaredDeviations(x, from: p, layout, into: &$0) },
             reduced { channelDots(x, y, centeredAt: p, layout, into: &$0) },
             combined(x, times: p, y, times: p, plus: p, layout), add(x, y), rectified(x),
             { var dx = x; reluBackwardInPlace(&dx, output: y); return dx }(),
             { var sum = x; addInPlace(&sum, y); return sum }()]
        }
        let one = WorkerPool.withThreads(1) { (WorkerPool.shared.threads, everything()) }
        let two = WorkerPool.withThreads(2) { (WorkerPool.shared.threads, everything()) }
        #expect(one.0 == 1 && two.0 == 2, "the thread counts compared must be the ones claimed")
        #expect(one.1 == two.1)
        #expect(two.1[4] == zip(x, y).map { $0 + $1 } && two.1[7] == two.1[4])
    }

    /// `channelCombination` in a new array, over stale values.
    private func combined(_ x: [Float], times p: [Float], _ y: [Float], times q: [Float], plus r: [Float],
                          _ layout: ChannelLayout) -> [Float] {
        var out = [Float](repeating: .nan, count: x.count)
        channelCombination(x, times: p, y, times: q, plus: r, layout, into: &out)
        return out
    }

    /// `relu(x)` in a new array, over stale values.
    private func rectified(_ x: [Float]) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        relu(x, into: &y)
        return y
    }

    /// What a reduction writes into a fresh array.
    private func reduced(_ reduction: (inout [Float]) -> Void) -> [Float] {
        var sums: [Float] = [.nan]
        reduction(&sums)
        return sums
    }

    private func expectClose(_ actual: [Float], _ expected: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) {
            #expect(abs(a - e) <= 1e-5 * max(1, abs(e)), "\(a) vs \(e)", sourceLocation: sourceLocation)
        }
    }
}
