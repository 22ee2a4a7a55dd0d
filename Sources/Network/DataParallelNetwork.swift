import Kernels
import RunProtocol

/// Computes a network's training gradients on several cores at once, each
/// core taking its share of the batch through the whole network, first
/// layer to last: the network itself takes the first share, and replicas
/// of it the others. They meet only where the whole batch matters:
/// batch-norm statistics and the loss. Where they meet, their linear
/// layers leave their weight gradients, a third of the step's arithmetic,
/// until all shards are done: the threads then share those products out by
/// layer, each adding every shard's part into the network's own gradient,
/// so that this third runs free of the meetings, where a core that the host
/// slows holds up the other. The replicas' other gradients are then added
/// into the network's. (Shards that never meet have nothing to gain from
/// it, and keeping every layer's input until the end would take their
/// small activations out of the caches: they add all of their gradients.)
///
/// Splitting the batch keeps each core's activations in its own caches.
/// Splitting each layer's work instead moves them between the cores at
/// every layer, which for small layers costs more than the second core saves.
///
/// Results depend on the number of shards (the batch's sums are added in
/// shard order) but not on timing: the same shards give the same bits.
public final class DataParallelNetwork {
    public let network: ResNet
    /// The network, then its replicas: shard `i` runs `shardNetworks[i]`.
    private let shardNetworks: [ResNet]
    private let exchange: ShardExchange
    /// The network's parameters, and each replica's, in one order.
    private let tensors: [Parameter]
    private let replicaTensors: [[Parameter]]
    /// Each of the network's learnable tensors, with the replicas' copies,
    /// whose gradients are added into it after a step: outside the linear
    /// layers where the shards meet.
    private let gradientShares: [(own: Parameter, replicas: [Parameter])]
    /// Where the shards meet, each of the network's linear layers, then the
    /// replicas' copies of it; otherwise none.
    private let linearShards: [[Linear]]
    /// Each of the network's blocks, then the replicas' copies of it.
    private let blockShards: [[ResidualBlock]]
    /// The network's batch norms, which meet the replicas' during a step.
    private let networkNorms: [BatchNorm]
    /// Whether the shards meet during a step: at the batch norms, if any.
    private let shardsMeet: Bool
    /// Each shard's part of the batch and its labels, and what it measured
    /// (loss, correct predictions), kept from step to step; each shard
    /// touches only its own.
    private let parts: [ShardPart]
    /// The network's first convolution workspace, in which its own shard
    /// runs its images as one share (see `init`).
    private let firstWorkspace: [ConvolutionWorkspace]

    public var shards: Int { shardNetworks.count }

    /// The network and `shards - 1` replicas of it, each to run on a thread
    /// of the worker pool. The replicas hold no weights of their own: each
    /// step lends them the network's. Their batch norms' running statistics
    /// are their own, updated alike and never read: training normalises with
    /// the batch's statistics, and only the network evaluates.
    ///
    /// Each shard runs its convolutions' images as one share, on its own
    /// core, in a workspace of the network's: shard `i` in the network's
    /// `i`-th, which outside a step serves the `i`-th share of the network's
    /// own passes. The replicas' scratch memory is then the network's.
    public init(network: ResNet, shards: Int) {
        precondition(shards >= 2 && shards <= WorkerPool.shared.capacity,
                     "\(shards) shards need as many threads, of \(WorkerPool.shared.capacity)")
        self.network = network
        let replicas = (1..<shards).map { _ in ResNet(spec: network.spec, seed: 0) }
        let workspaces = network.convolutionWorkspaces
        for (index, replica) in replicas.enumerated() where index + 1 < workspaces.count {
            replica.runConvolutions(in: [workspaces[index + 1]])
        }
        firstWorkspace = Array(workspaces.prefix(1))
        shardNetworks = [network] + replicas
        exchange = ShardExchange(shards: shards)
        func tensors(of network: ResNet) -> [Parameter] { network.parameters.map(\.parameter) }
        let (own, replicaTensors) = (tensors(of: network), replicas.map(tensors(of:)))
        (self.tensors, self.replicaTensors) = (own, replicaTensors)
        networkNorms = network.batchNorms
        shardsMeet = !networkNorms.isEmpty
        linearShards = !shardsMeet ? [] : network.linears.indices.map { index in
            [network.linears[index]] + replicas.map { $0.linears[index] }
        }
        let linearTensors = Set(linearShards.flatMap { [ObjectIdentifier($0[0].weight), ObjectIdentifier($0[0].bias)] })
        gradientShares = own.indices.filter { !linearTensors.contains(ObjectIdentifier(own[$0])) }
            .map { index in (own[index], replicaTensors.map { $0[index] }) }
        blockShards = network.blocks.indices.map { index in [network.blocks[index]] + replicas.map { $0.blocks[index] } }
        parts = (0..<shards).map { _ in ShardPart() }
        for (index, replica) in replicas.enumerated() {
            for layer in replica.batchNorms { layer.shardExchange = (exchange, index + 1) }
            replica.keepsLinearGradientInputs = shardsMeet
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
        precondition(labels.count >= shards, "a batch of \(labels.count) cannot be shared among \(shards) shards")
        for layer in networkNorms { layer.shardExchange = (exchange, 0) }
        network.keepsLinearGradientInputs = shardsMeet
        network.runConvolutions(in: firstWorkspace)
        lendWeights(true)
        defer {
            if shardsMeet { for shard in shardNetworks { shard.releaseActivations() } }
            network.keepsLinearGradientInputs = false
            network.runConvolutions(in: network.convolutionWorkspaces)
            lendWeights(false)
            for layer in networkNorms { layer.shardExchange = nil }
        }
        // Without batch norm the shards never meet before the end, so they
        // are independent parts, which a free thread may take two of (on a
        // busy machine, it does); with it they meet at every norm, each on its
        // own thread. Either way the totals are added in shard order.
        let independent = !shardsMeet
        let step = ShardStep(networks: shardNetworks, parts: parts, exchange: exchange, input: input,
                             labels: labels, modes: modes, independent: independent)
        WorkerPool.shared.runShards(shards, independent: independent, step)
        // The shards' measurements, added in shard order.
        var (loss, correct): (Float, Float) = (parts[0].measured[0], parts[0].measured[1])
        for part in parts.dropFirst() {
            loss += part.measured[0]
            correct += part.measured[1]
        }
        let outcome = (loss: loss, correct: Int(correct))
        // A shard whose own loss was finite has added gradients that a
        // non-finite whole must not leave behind.
        if !outcome.loss.isFinite && independent { network.zeroGradients() }
        guard outcome.loss.isFinite else { return outcome }
        WorkerPool.shared.forEach(linearShards, LinearGradients())
        WorkerPool.shared.forEach(gradientShares, GradientSums())
        for shards in blockShards { shards[0].adoptMeasurements(of: shards) }
        return outcome
    }

    /// Shares the network's weights with the replicas (copying nothing:
    /// arrays are copied on write), or takes them back, so that the
    /// optimizer's in-place update does not copy them either. Running
    /// statistics are not lent: each shard writes its own in place.
    private func lendWeights(_ lend: Bool) {
        for replica in replicaTensors {
            for (own, lent) in zip(tensors, replica) { lent.value = lend ? own.value : [] }
        }
    }
}

/// One shard's part of a training step: its rows of the batch, forward
/// and backward through its network, the gradients added to that network's.
private struct ShardStep: ParallelWork {
    /// The network, then its replicas: shard `i` runs `networks[i]`.
    let networks: [ResNet]
    let parts: [ShardPart]
    let exchange: ShardExchange
    let input: Tensor, labels: [Int], modes: [BlockMode]
    let independent: Bool

    func run(part shard: Int) {
        let (batch, features, shards) = (labels.count, input.shape[1], networks.count)
        let net = networks[shard]
        let part = parts[shard]
        let rows = batch * shard / shards..<batch * (shard + 1) / shards
        part.take(rows, of: input, labels: labels)
        // A replica's gradients are this step's alone, to be added to the network's.
        if shard > 0 { net.zeroGradients() }
        let logits = net.forward(shape: part.shape, modes: modes, training: true) { rowsOfInput in
            rowsOfInput.withUnsafeMutableBufferPointer { part in
                input.data.withUnsafeBufferPointer { whole in
                    _ = part.update(fromContentsOf: whole[rows.lowerBound * features..<rows.upperBound * features])
                }
            }
        }
        let result = softmaxCrossEntropy(logits: consume logits, labels: part.labels, batchSize: batch)
        part.measured[0] = result.loss
        part.measured[1] = Float(result.correct)
        // Shards that meet learn the whole batch's loss here, so all of
        // them agree on whether to go on.
        if !independent { exchange.sum(part.measured, shard: shard, into: &part.totals) }
        if (independent ? result.loss : part.totals[0]).isFinite { net.accumulateGradients((consume result).gradient) }
    }
}

/// Adds each linear layer's parameter gradients for the whole batch, from
/// what every shard's copy of it kept; each layer is an item for the worker pool.
private struct LinearGradients: ItemWork {
    func weight(of shards: [Linear]) -> Int { shards[0].weight.count }
    func run(_ shards: [Linear]) { shards[0].addParameterGradients(ofShards: shards) }
}

/// Adds the replicas' gradients of each learnable tensor into the network's
/// own, in replica order; each tensor is an item for the worker pool.
private struct GradientSums: ItemWork {
    func weight(of share: (own: Parameter, replicas: [Parameter])) -> Int { share.own.count }
    func run(_ share: (own: Parameter, replicas: [Parameter])) {
        for replica in share.replicas { share.own.addToGradient(replica.gradient) }
    }
}

/// The shape and labels of one shard's rows of a batch, and what the shard
/// measured on them, in arrays kept from step to step (its rows themselves
/// are copied straight into its network's input). Only its shard's thread
/// touches it during a step, and only the caller's thread after it.
private final class ShardPart {
    /// `[rows, features]`.
    var shape: [Int] = []
    var labels: [Int] = []
    /// Loss and correct predictions of this shard, and their sums over all shards.
    var measured: [Float] = [0, 0], totals: [Float] = [0, 0]

    /// Takes the shape of rows `rows` of `batch` (`[N, features]`) and their labels.
    func take(_ rows: Range<Int>, of batch: Tensor, labels all: [Int]) {
        if shape.count != 2 || shape[0] != rows.count || shape[1] != batch.shape[1] {
            shape = [rows.count, batch.shape[1]]
        }
        labels.removeAll(keepingCapacity: true)
        labels.append(contentsOf: all[rows])
    }
}
