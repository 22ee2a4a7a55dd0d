/// Work the worker pool shares out, as values rather than closures.
///
/// A kernel hands the pool a small struct holding what its parts need
/// (pointers, sizes, coefficients) instead of a closure capturing them. The
/// pool lends the workers that value's address on the caller's stack, so
/// posting a job allocates nothing: Swift would copy a closure handed to
/// another thread into a heap box (`withoutActuallyEscaping`), once per job,
/// hundreds of times in a convolutional training step.

/// Work split into parts: `run(part:)` is called once for each part, each
/// part on one thread, all at the same time (see `WorkerPool.run`).
public protocol ParallelWork {
    /// Does part `part` of the work.
    func run(part: Int)
}

/// Work on the indices `0..<count`, cut into contiguous chunks, each run by
/// one thread (see `WorkerPool.forEachChunk`). Each chunk must write only
/// its own outputs.
public protocol ChunkedWork {
    /// Does the work for the indices in `chunk`.
    func run(_ chunk: Range<Int>)
}

/// Work on a list of items, each handled whole by one thread (see
/// `WorkerPool.forEach`).
public protocol ItemWork {
    associatedtype Item
    /// About how many floats `item`'s work reads and writes: the items are
    /// shared out in runs of about equal total weight.
    func weight(of item: Item) -> Int
    /// Does the work for one item.
    func run(_ item: Item)
}

extension ParallelWork {
    /// Runs part `part` of the work of this type stored at `address`: the
    /// one entry point the pool's workers call, specialised for each type.
    @inlinable
    static func runPart(at address: UnsafeRawPointer, _ part: Int) {
        address.assumingMemoryBound(to: Self.self).pointee.run(part: part)
    }
}

/// A `ChunkedWork` over `0..<count` as `parts` parts: part `i` runs the
/// `i`-th chunk, whose bounds are multiples of `grain`.
@usableFromInline
struct Chunks<Work: ChunkedWork>: ParallelWork {
    @usableFromInline let work: Work
    @usableFromInline let count: Int, grain: Int, parts: Int

    @inlinable
    init(_ work: Work, count: Int, grain: Int, parts: Int) {
        (self.work, self.count, self.grain, self.parts) = (work, count, grain, parts)
    }

    @inlinable
    func run(part: Int) {
        guard part < parts else { return }
        let units = (count + grain - 1) / grain
        let lower = min(count, units * part / parts * grain)
        let upper = min(count, units * (part + 1) / parts * grain)
        if lower < upper { work.run(lower..<upper) }
    }
}

/// An `ItemWork` over `items` as parts: part `i` runs the `i`-th of
/// `parts` runs of items of about equal total weight.
@usableFromInline
struct WeightedItems<Work: ItemWork>: ParallelWork {
    @usableFromInline let work: Work
    @usableFromInline let items: [Work.Item]
    @usableFromInline let total: Int, parts: Int

    @inlinable
    init(_ work: Work, items: [Work.Item], total: Int, parts: Int) {
        (self.work, self.items, self.total, self.parts) = (work, items, total, parts)
    }

    /// The items are visited by index: iterating an array in unspecialised
    /// generic code allocates memory for every element it yields.
    @inlinable
    func run(part: Int) {
        var before = 0
        for index in items.indices {
            let size = work.weight(of: items[index])
            if (before + size / 2) * parts / total == part { work.run(items[index]) }
            before += size
        }
    }
}
