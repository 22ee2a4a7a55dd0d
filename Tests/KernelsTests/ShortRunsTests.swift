import Testing
import Kernels

/// `copyRun` and `zeroRun` cover their run exactly, whatever its length:
/// every width of vector, the overlapping last vector, and nothing written
/// before or after the run.
struct ShortRunsTests {
    @Test func everyLengthIsCopiedAndZeroedExactly() {
        for count in 0...70 {
            let source = (0..<count).map { Float($0 + 1) }
            var copied = [Float](repeating: -1, count: count + 4)
            var zeroed = [Float](repeating: -1, count: count + 4)
            source.withUnsafeBufferPointer { source in
                copied.withUnsafeMutableBufferPointer { copyRun(source.baseAddress!, to: $0.baseAddress! + 2, count: count) }
            }
            zeroed.withUnsafeMutableBufferPointer { zeroRun($0.baseAddress! + 2, count: count) }
            let guards: [Float] = [-1, -1]
            #expect(copied == guards + source + guards, "copy of \(count)")
            #expect(zeroed == guards + [Float](repeating: 0, count: count) + guards, "zeros of \(count)")
        }
    }
}
