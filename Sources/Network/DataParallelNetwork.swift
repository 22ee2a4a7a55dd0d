import Kernels
import Synchronization
import RunProtocol

/// Computes a network's training gradients on several cores at once, each
/// core taking its share of the batch through the whole network, first
/// layer to last: the network itself takes the first share, and replicas
/// of it the others. They meet only where the whole batch matters:
/// batch-norm statistics and the loss. The replicas' weight gradients are
/// then added into the network's own.
///
/// Splitting the batch keeps each core's activations in its own caches.
/// Splitting each layer's work instead moves them between the cores at
/// every layer, which for small layers costs more than the second core saves.
///
/// Results depend on the number of shards (the batch's sums are added in
/// shard order) but not on timing: the same shards give the same bits.
public final class DataParallelNetwork {
    public let network: ResNet
    private let replicas: [ResNet]
    private let exchange: ShardExchange
    /// The network's parameters and buffers, and each replica's, in one order.
    private let tensors: [Parameter]
    private let replicaTensors: [[Parameter]]
    /// Each of the network's learnable tensors, with the replicas' copies,
    /// whose gradients are added into it after a step.
    private let gradientShares: [(own: Parameter, replicas: [Parameter])]
    /// Each of the network's blocks, then the replicas' copies of it.
    private let blockShards: [[ResidualBlock]]
    /// The network's batch norms, which meet the replicas' during a step.
    private let networkNorms: [BatchNorm]

    public var shards: Int { replicas.count + 1 }

    /// The network and `shards - 1` replicas of it, each to run on a thread
    /// of the worker pool. The replicas hold no weights of their own: each
    /// step lends them the network's.
    public init(network: ResNet, shards: Int) {
        precondition(shards >= 2 && shards <= WorkerPool.shared.capacity,
                     "\(shards) shards need as many threads, of \(WorkerPool.shared.capacity)")
        self.network = network
        let replicas = (1..<shards).map { _ in ResNet(spec: network.spec, seed: 0) }
        self.replicas = replicas
        exchange = ShardExchange(shards: shards)
        func tensors(of network: ResNet) -> [Parameter] {
            (network.parameters + network.buffers).map(\.parameter)
        }
        let (own, replicaTensors) = (tensors(of: network), replicas.map(tensors(of:)))
        (self.tensors, self.replicaTensors) = (own, replicaTensors)
        gradientShares = network.parameters.indices.map { index in (own[index], replicaTensors.map { $0[index] }) }
        blockShards = network.blocks.indices.map { index in [network.blocks[index]] + replicas.map { $0.blocks[index] } }
        networkNorms = network.batchNorms
        for (index, replica) in replicas.enumerated() {
            for layer in replica.batchNorms { layer.shardExchange = (exchange, index + 1) }
        }
        lendWeights(false)
    }

    /// Forward and backward in training mode over `input` `[batch, features]`,
    /// the batch shared out among the shards (at least one sample each).
    /// Adds the batch's gradients to the network's, as
    /// `ResNet.accumulateGradients` does, and leaves its batch-norm running
    /// statistics and its blocks' measurements as a whole-batch step would. Returns
    /// the mean loss and the correct predictions; when the loss is not
    /// finite, no gradient is computed.
    public func computeGradients(input: Tensor, labels: [Int], modes: [BlockMode]) -> (loss: Float, correct: Int) {
        let (batch, features) = (labels.count, input.shape[1])
        precondition(batch >= shards, "a batch of \(batch) cannot be shared among \(shards) shards")
        for layer in networkNorms { layer.shardExchange = (exchange, 0) }
        lendWeights(true)
        defer {
            lendWeights(false)
            for layer in networkNorms { layer.shardExchange = nil }
        }
        // Without batch norm the shards never meet before the end, so they
        // are independent parts, which a free thread may take two of (on a
        // busy machine, it does); with it they meet at every norm, each on its
        // own thread. Either way the totals are added in shard order.
        let independent = networkNorms.isEmpty
        let shardTotals = Mutex([[Float]](repeating: [], count: shards))
        WorkerPool.shared.runShards(shards, independent: independent) { shard in
            let net = shard == 0 ? network : replicas[shard - 1]
            let rows = batch * shard / shards..<batch * (shard + 1) / shards
            let part = Tensor(shape: [rows.count, features],
                              data: Array(input.data[rows.lowerBound * features..<rows.upperBound * features]))
            // A replica's gradients are this step's alone, to be added to the network's.
            if shard > 0 { net.zeroGradients() }
            let logits = net.forward(part, modes: modes, training: true)
            let result = softmaxCrossEntropy(logits: logits, labels: Array(labels[rows]), batchSize: batch)
            let own = [result.loss, Float(result.correct)]
            // Shards that meet learn the whole batch's loss here, so all of
            // them agree on whether to go on.
            var totals = own
            if !independent { exchange.sum(own, shard: shard, into: &totals) }
            if totals[0].isFinite { net.accumulateGradients(result.gradient) }
            shardTotals.withLock { $0[shard] = own }
        }
        let totals = shardTotals.withLock { parts in parts.dropFirst().reduce(into: parts[0]) { addInPlace(&$0, $1) } }
        let outcome = (loss: totals[0], correct: Int(totals[1]))
        // A shard whose own loss was finite has added gradients that a
        // non-finite whole must not leave behind.
        if !outcome.loss.isFinite && independent { network.zeroGradients() }
        guard outcome.loss.isFinite else { return outcome }
        WorkerPool.shared.forEach(gradientShares, weight: { $0.own.value.count }) { share in
            for replica in share.replicas { share.own.addToGradient(replica.gradient) }
        }
        for shards in blockShards { shards[0].adoptMeasurements(of: shards) }
        return outcome
    }

    /// Shares the network's weights and buffers with the replicas (copying
    /// nothing: arrays are copied on write), or takes them back, so that the
    /// optimizer's in-place update does not copy them either.
    private func lendWeights(_ lend: Bool) {
        for replica in replicaTensors {
            for (own, lent) in zip(tensors, replica) { lent.value = lend ? own.value : [] }
        }
    }
}
