/// The arrays a network's layers have finished with, kept to be handed out
/// again by size, so that a steady training step allocates no tensor: each
/// step needs the same sizes in the same numbers as the last.
///
/// A layer `take`s the storage of a tensor it makes and `give`s back a
/// tensor it used up: an input gradient it has passed on, an activation it
/// no longer keeps. Given arrays wait until the network reaches a point
/// where the pass that gave them holds none of them any more (`settle`,
/// between blocks) and are only then handed out again.
///
/// Nothing here can change a result. Arrays are values: if a given array is
/// still held somewhere, writing into it after `take` copies it first (an
/// allocation, which the step-allocation tests catch), and the holder's
/// values stay as they were.
///
/// A store belongs to one network, which one thread runs at a time.
public final class TensorStore {
    /// Settled arrays, ready to be taken, in one shelf per element count
    /// (a network has a handful of sizes).
    private var shelves: [Shelf] = []
    /// Arrays given back since the last `settle`.
    private var pending: [[Float]] = []
    /// A store that is never settled (a layer used on its own) keeps at most
    /// this many arrays waiting; older ones are let go.
    private let pendingLimit = 64

    public init() {}

    /// An array of `count` floats, whose values are whatever its last use
    /// left: the caller writes every element.
    func take(_ count: Int) -> [Float] {
        guard let index = shelves.firstIndex(where: { $0.count == count }),
              let array = shelves[index].arrays.popLast() else { return [Float](repeating: 0, count: count) }
        return array
    }

    /// A tensor of `shape`, its values left over as with `take`.
    func takeTensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, data: take(shape.reduce(1, *)))
    }

    /// Hands back an array that its giver has finished with. The same array
    /// given twice before a `settle` (two layers kept it) is kept once.
    func give(_ array: consuming [Float]) {
        guard !array.isEmpty, !isPending(array) else { return }
        if pending.count == pendingLimit { pending.removeFirst() }
        pending.append(array)
    }

    /// Makes every array given since the last call available to `take`.
    /// Called where the pass that gave them has let go of them.
    public func settle() {
        while let array = pending.popLast() {
            if let index = shelves.firstIndex(where: { $0.count == array.count }) {
                shelves[index].arrays.append(array)
            } else {
                shelves.append(Shelf(count: array.count, arrays: [array]))
            }
        }
    }

    /// Whether this storage was given since the last `settle` already.
    private func isPending(_ array: [Float]) -> Bool {
        let address = array.withUnsafeBufferPointer { $0.baseAddress }
        for other in pending where other.withUnsafeBufferPointer({ $0.baseAddress }) == address { return true }
        return false
    }

    /// The settled arrays of one size.
    private struct Shelf {
        let count: Int
        var arrays: [[Float]]
    }
}
