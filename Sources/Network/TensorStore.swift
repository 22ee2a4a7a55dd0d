import Kernels

/// The arrays a network's layers have finished with, kept to be handed out
/// again, so that a steady training step allocates no tensor: each step
/// needs the same sizes in the same order as the last.
///
/// A layer `take`s the storage of a tensor it makes and `give`s back a
/// tensor it used up: an input gradient it has passed on, an activation it
/// no longer keeps. Given arrays wait until the network reaches a point
/// where the pass that gave them holds none of them any more (`settle`,
/// between blocks) and are only then handed out again; a layer's own
/// scratch tensor, which nothing else ever held, is `recycle`d at once.
///
/// An array serves any request its capacity can hold, the smallest that
/// fits first: the large tensors of a network's first stage, idle while
/// the backward pass works through the later stages, serve those stages'
/// gradients too. So the store holds about what the step's busiest moment
/// needs, not that much for every size.
///
/// Nothing here can change a result. Arrays are values: if a given array is
/// still held somewhere, writing into it after `take` copies it first (an
/// allocation, which the step-allocation tests catch), and the holder's
/// values stay as they were.
///
/// A store belongs to one network, which one thread runs at a time.
public final class TensorStore {
    /// Settled arrays, ready to be taken, in one shelf per capacity (a
    /// network has a handful of sizes).
    private var shelves: [Shelf] = []
    /// Arrays given back since the last `settle`.
    private var pending: [[Float]] = []
    /// A store that is never settled (a layer used on its own) keeps at most
    /// this many arrays waiting; older ones are let go.
    private let pendingLimit = 64

    public init() {}

    /// An array of `count` floats, whose values are whatever its last use
    /// left: the caller writes every element. Allocates only when no kept
    /// array is large enough.
    public func take(_ count: Int) -> [Float] {
        var best: Int?
        for index in shelves.indices where shelves[index].capacity >= count && !shelves[index].arrays.isEmpty {
            if best.map({ shelves[index].capacity < shelves[$0].capacity }) ?? true { best = index }
        }
        guard let best, var array = shelves[best].arrays.popLast() else { return [Float](repeating: 0, count: count) }
        // Within its capacity, an array changes its count without moving.
        if array.count > count {
            array.removeLast(array.count - count)
        } else if array.count < count {
            array.append(contentsOf: repeatElement(0, count: count - array.count))
        }
        return array
    }

    /// A tensor of `shape`, its values left over as with `take`.
    public func takeTensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: take(shape.reduce(1, *)))
    }

    /// Hands back an array that its giver has finished with. The same array
    /// given twice before a `settle` (two layers kept it) is kept once.
    public func give(_ array: consuming [Float]) {
        guard !array.isEmpty, !isPending(array) else { return }
        if pending.count == pendingLimit { pending.removeFirst() }
        pending.append(array)
    }

    /// Hands back an array that nothing else has ever held (a layer's own
    /// scratch tensor), ready to be taken at once.
    public func recycle(_ array: consuming [Float]) {
        guard !array.isEmpty else { return }
        shelve(array)
    }

    /// Makes every array given since the last call available to `take`.
    /// Called where the pass that gave them has let go of them.
    public func settle() {
        while let array = pending.popLast() { shelve(array) }
    }

    /// Lets go of every array kept here: the sizes of the passes to come
    /// differ. Their pages go back to the system too, as the next pass's
    /// tensors rarely fit the holes the old ones leave in malloc's heap.
    public func removeAll() {
        shelves.removeAll()
        pending.removeAll()
        releaseFreedMemory()
    }

    private func shelve(_ array: consuming [Float]) {
        let capacity = array.capacity
        if let index = shelves.firstIndex(where: { $0.capacity == capacity }) {
            shelves[index].arrays.append(array)
        } else {
            shelves.append(Shelf(capacity: capacity, arrays: [array]))
        }
    }

    /// Whether this storage was given since the last `settle` already.
    private func isPending(_ array: [Float]) -> Bool {
        let address = array.withUnsafeBufferPointer { $0.baseAddress }
        for other in pending where other.withUnsafeBufferPointer({ $0.baseAddress }) == address { return true }
        return false
    }

    /// The settled arrays of one capacity.
    private struct Shelf {
        let capacity: Int
        var arrays: [[Float]]
    }
}
