/// Work that a shard of a data-parallel step has put off, to do while it
/// would otherwise wait at a `ShardExchange` for a slower shard.
///
/// A layer's weight gradient is needed only at the end of the step, its
/// input gradient at once. So a layer can compute the second and leave the
/// first here; its shard then computes it while another shard catches up,
/// or at the latest where the network needs it done (`runAll`). Each item
/// writes only its own layer's gradients, so when it runs cannot change a
/// result. Only its shard's thread touches a backlog.
public final class ShardBacklog {
    private var items: [any PutOffWork] = []
    /// Items at the front that have run.
    private var done = 0

    public init() {}

    public func add(_ item: any PutOffWork) { items.append(item) }

    /// Runs the oldest item not run yet; false when there is none.
    @discardableResult
    public func runNext() -> Bool {
        guard done < items.count else { return false }
        let item = items[done]
        done += 1
        if done == items.count {
            items.removeAll(keepingCapacity: true)
            done = 0
        }
        item.runPutOffWork()
        return true
    }

    /// Runs every item left.
    public func runAll() {
        while runNext() {}
    }
}

/// Something that left work in a `ShardBacklog`.
public protocol PutOffWork: AnyObject {
    /// Does the work put off, once for each time it was added.
    func runPutOffWork()
}
