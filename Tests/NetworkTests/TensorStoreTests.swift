import AllocationCounter
import Network
import Testing

/// The store's rules: when a given array comes back, which array serves a
/// request, and that handing arrays round never changes a value.
struct TensorStoreTests {
    private func address(_ array: [Float]) -> UnsafePointer<Float>? {
        array.withUnsafeBufferPointer { $0.baseAddress }
    }

    @Test func aGivenArrayWaitsForSettle() {
        let store = TensorStore()
        let given = [Float](repeating: 1, count: 64)
        let original = address(given)
        store.give(given)
        #expect(address(store.take(64)) != original, "handed out before the pass that gave it let go")
        store.settle()
        #expect(address(store.take(64)) == original)
    }

    @Test func aRecycledArrayIsReadyAtOnce() {
        let store = TensorStore()
        let scratch = [Float](repeating: 2, count: 32)
        let original = address(scratch)
        store.recycle(scratch)
        #expect(address(store.take(32)) == original)
    }

    /// The smallest array that fits serves, resized within its capacity:
    /// no allocation.
    @Test func theSmallestArrayThatFitsServes() {
        let store = TensorStore()
        let (small, large) = ([Float](repeating: 0, count: 100), [Float](repeating: 0, count: 1000))
        let (smallAddress, largeAddress) = (address(small), address(large))
        store.recycle(consume large)
        store.recycle(consume small)
        let before = reslab_thread_allocations()
        let first = store.take(50), second = store.take(700)
        let allocations = reslab_thread_allocations() - before
        #expect(address(first) == smallAddress && first.count == 50)
        #expect(address(second) == largeAddress && second.count == 700)
        #expect(allocations == 0)
        // Both arrays are out: a third request allocates, where one array
        // served twice would not.
        let third = withExtendedLifetime((first, second)) {
            let before = reslab_thread_allocations()
            _ = store.take(10)
            return reslab_thread_allocations() - before
        }
        #expect(third == 1, "one array served twice")
    }

    /// An array given back while its giver still holds it is copied before
    /// anyone writes into it: the holder's values stay.
    @Test func anArrayStillHeldKeepsItsValues() {
        let store = TensorStore()
        let held: [Float] = [1, 2, 3]
        store.give(held)
        store.settle()
        var taken = store.take(3)
        taken[0] = 9
        #expect(held == [1, 2, 3] && taken[0] == 9)
    }

    /// Two layers that kept the same tensor both give it back: it is kept once.
    @Test func anArrayGivenTwiceIsKeptOnce() {
        let store = TensorStore()
        let shared = [Float](repeating: 3, count: 16)
        let original = address(shared)
        store.give(shared)
        store.give(shared)
        store.settle()
        let first = store.take(16), second = store.take(16)
        #expect(address(first) == original && address(second) != original)
    }

    /// After `removeAll` neither the settled nor the pending array serves:
    /// both requests allocate. (Comparing addresses cannot tell, as malloc
    /// may hand the freed storage straight back.)
    @Test func removeAllLetsEveryArrayGo() {
        let store = TensorStore()
        store.recycle([Float](repeating: 4, count: 8))
        store.give([Float](repeating: 5, count: 8))
        store.removeAll()
        store.settle()
        let before = reslab_thread_allocations()
        let first = store.take(8), second = store.take(8)
        #expect(reslab_thread_allocations() - before == 2)
        #expect(first == [Float](repeating: 0, count: 8) && second == first, "a kept array served")
    }
}
