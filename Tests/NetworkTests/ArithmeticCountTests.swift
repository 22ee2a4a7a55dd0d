import Network
import Testing

/// `ModelSpec.trainingOperationsPerSample`, against counts done by hand.
struct ArithmeticCountTests {
    /// Dense: input 3, width 4, 2 blocks, 5 classes. Multiply-adds forward:
    /// stem 3·4, blocks 2·2·4·4, head 4·5; backward twice that, less the
    /// stem's input gradient.
    @Test func denseCountsEveryProductOnce() {
        let spec = ModelSpec(kind: .dense, inputShape: [3], classes: 5, depth: 2, width: 4)
        let forward = 3 * 4 + 2 * 2 * 4 * 4 + 4 * 5
        #expect(spec.trainingOperationsPerSample == Double(2 * (3 * forward - 3 * 4)))
    }

    /// Conv: 1×4×4 input, width 2, one block per stage, 3 classes. Stem
    /// 1·9·2·16 = 288; stage 1 (4×4) 2·9·2·16 + 2·9·2·16 = 1152; stage 2
    /// (2×2) 2·9·4·4 + 4·9·4·4 + projection 2·4·4 = 896; stage 3 (1×1)
    /// 4·9·8 + 8·9·8 + 4·8 = 896; head 8·3 = 24.
    @Test func convCountsPositionsAfterEachStride() {
        let spec = ModelSpec(kind: .conv, inputShape: [1, 4, 4], classes: 3, depth: 1, width: 2)
        let products = 1152 + 896 + 896 + 24
        #expect(spec.trainingOperationsPerSample == Double(2 * (2 * 288 + 3 * products)))
    }
}
