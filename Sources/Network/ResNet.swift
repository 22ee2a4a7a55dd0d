import Kernels
import RunProtocol

/// A residual network: a stem, a chain of residual blocks and a head.
///
/// Dense: linear stem → n blocks → norm → act → linear head.
/// Conv (CIFAR-style): 3×3 conv stem → three stages of n blocks with
/// width, 2·width and 4·width channels, stride 2 at the start of stages 2 and 3
/// (with a 1×1 projection shortcut) → norm → act → global average pool → linear head.
public final class ResNet {
    public let spec: ModelSpec
    public let stem: Sequential
    public let blocks: [ResidualBlock]
    public let head: Sequential
    /// The storage of the network's activations and gradients, which its
    /// layers hand back and take again, so that a steady training step
    /// allocates none (see `TensorStore`).
    private let store = TensorStore()
    /// The mode and batch size of the last pass: the store keeps arrays for
    /// one kind of pass at a time.
    private var lastPass: (training: Bool, batch: Int) = (false, 0)

    /// Set on the shards of a data-parallel step: `accumulateGradients`
    /// then leaves the linear layers' parameter gradients to be added for
    /// the whole batch after the shards are done, keeping what they need
    /// until `releaseActivations()`; the rest it releases as it goes.
    var keepsLinearGradientInputs = false {
        didSet { for linear in linears { linear.keepsOutputGradient = keepsLinearGradientInputs } }
    }
    /// Every linear layer, stem to head.
    let linears: [Linear]
    /// Every convolution, and the workspaces in which they run their
    /// images, one share per core (none in a dense network): one set for
    /// all of them, since they never run at the same time (see `conv`).
    let convolutions: [Convolution]
    let convolutionWorkspaces: [ConvolutionWorkspace]

    /// Builds the network described by `spec` and initialises it from `seed`.
    public init(spec: ModelSpec, seed: UInt64) {
        precondition(spec.problem == nil, spec.problem ?? "")
        self.spec = spec
        switch spec.kind {
        case .dense: (stem, blocks, head) = Self.dense(spec)
        case .conv: (stem, blocks, head) = Self.conv(spec)
        }
        linears = Self.chain(stem, blocks, head).flatMap { $0.layers.compactMap { $0.layer as? Linear } }
        convolutions = Self.chain(stem, blocks, head).flatMap { part in
            part.layers.compactMap { ($0.layer as? Convolution) ?? ($0.layer as? PreActivatedConvolution)?.convolution }
        } + blocks.compactMap { $0.shortcut as? Convolution }
        convolutionWorkspaces = convolutions.first?.workspaces ?? []
        parameters = stem.parameters.prefixed("stem")
            + blocks.enumerated().flatMap { $0.element.parameters.prefixed("blocks.\($0.offset)") }
            + head.parameters.prefixed("head")
        var generator = SeededGenerator(seed: seed)
        initialize(using: &generator)
        stem.use(store)
        for block in blocks { block.use(store) }
        head.use(store)
    }

    /// Logits `[batch, classes]` for a batch of flat samples `[batch, features]`.
    /// `order`, if given, runs the blocks in that order (Veit's reordering
    /// lesion); `modes` are indexed by block, not by position.
    public func forward(_ input: Tensor, modes: [BlockMode], training: Bool, order: [Int]? = nil) -> Tensor {
        forward(shape: input.shape, modes: modes, training: training, order: order) { batch in
            batch.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: input.data) }
        }
    }

    /// `forward` on a batch of `shape` that `fill` writes, every element of
    /// it, into an array from the network's store. The first layer gives its
    /// input back to the store when it is done with it, so the batch must
    /// not be the caller's array; filled in place, it is not copied either.
    public func forward(shape: [Int], modes: [BlockMode], training: Bool, order: [Int]? = nil,
                        fill: (inout [Float]) -> Void) -> Tensor {
        precondition(modes.count == blocks.count, "\(modes.count) modes for \(blocks.count) blocks")
        // An evaluation between training steps, or another batch size,
        // needs other sizes: what the store kept would only add to the
        // memory that pass takes, so it is let go.
        if lastPass != (training, shape[0]) {
            store.removeAll()
            lastPass = (training, shape[0])
        }
        var batch = store.takeTensor(shape)
        fill(&batch.data)
        var x = stem.forward(consume batch, training: training)
        store.settle()
        for position in 0..<(order?.count ?? blocks.count) {
            let index = order?[position] ?? position
            x = blocks[index].forward(x, mode: modes[index], training: training)
            store.settle()
        }
        return head.forward(x, training: training)
    }

    /// Makes every convolution run its images in `workspaces`, one share
    /// each: the network's own by default, one per core; a data-parallel
    /// shard runs its part of the batch as one share, in one of them.
    func runConvolutions(in workspaces: [ConvolutionWorkspace]) {
        for convolution in convolutions { convolution.workspaces = workspaces }
    }

    /// Groups of blocks that can swap places: same input and output shape.
    /// The blocks whose shortcut is a projection: in a conv net, the first
    /// block of stages 2 and 3, which halves the image (Veit's downsampling blocks).
    public var downsamplingBlocks: Set<Int> {
        Set(blocks.indices.filter { blocks[$0].shortcut != nil })
    }

    /// Dense: all blocks. Conv: each stage without its first (projection) block.
    public var interchangeableBlocks: [[Int]] {
        switch spec.kind {
        case .dense: return [Array(blocks.indices)]
        case .conv:
            return (0..<3).map { stage in Array(stage * spec.depth + (stage == 0 ? 0 : 1)..<(stage + 1) * spec.depth) }
                .filter { $0.count > 1 }
        }
    }

    /// Backpropagates `∂L/∂logits`, adding every parameter's gradient, and
    /// returns `∂L/∂input`. `routes`, if given, forces each block's route.
    @discardableResult
    public func backward(_ logitsGradient: consuming Tensor, routes: [GradientRoute]? = nil) -> Tensor {
        stem.backward(backwardToStem(logitsGradient, routes: routes, releasing: false))
    }

    /// Backpropagates `∂L/∂logits` for training: adds every parameter's
    /// gradient and skips the input gradient, which the stem's first
    /// transform would otherwise spend a whole matrix product on. Each part
    /// drops its saved activations as soon as its backward pass is done,
    /// so that the step's peak of memory is at its start and not near its end.
    public func accumulateGradients(_ logitsGradient: consuming Tensor) {
        stem.accumulateParameterGradients(backwardToStem(logitsGradient, routes: nil, releasing: true))
        guard !keepsLinearGradientInputs else { return }
        stem.releaseActivations()
        store.settle()
    }

    /// Drops what the last training pass kept, part by part (see
    /// `keepsLinearGradientInputs`).
    func releaseActivations() {
        head.releaseActivations()
        store.settle()
        for block in blocks.reversed() {
            block.releaseActivations()
            store.settle()
        }
        stem.releaseActivations()
        store.settle()
    }

    /// `∂L/∂(stem output)`, through the head and the blocks, which release
    /// their activations behind them when `releasing` (all but what
    /// `keepsLinearGradientInputs` keeps).
    private func backwardToStem(_ logitsGradient: consuming Tensor, routes: [GradientRoute]?, releasing: Bool) -> Tensor {
        var g = head.backward(logitsGradient)
        if releasing { head.releaseActivations(keepingLinearInputs: keepsLinearGradientInputs) }
        store.settle()
        for index in blocks.indices.reversed() {
            g = blocks[index].backward(consume g, route: routes?[index])
            if releasing { blocks[index].releaseActivations(keepingLinearInputs: keepsLinearGradientInputs) }
            store.settle()
        }
        return g
    }

    /// Clears every gradient (each is only marked; see `Parameter.zeroGradient`).
    public func zeroGradients() {
        for entry in parameters { entry.parameter.zeroGradient() }
    }

    /// Every learnable tensor with its dotted name, in a fixed order.
    public private(set) var parameters: [NamedParameter] = []

    /// Every non-learnable state tensor (batch-norm running statistics).
    public var buffers: [NamedParameter] {
        stem.buffers.prefixed("stem")
            + blocks.enumerated().flatMap { $0.element.buffers.prefixed("blocks.\($0.offset)") }
            + head.buffers.prefixed("head")
    }

    /// Every batch-norm layer, stem to head.
    var batchNorms: [BatchNorm] {
        Self.chain(stem, blocks, head).flatMap(\.batchNorms)
    }

    /// The stem, each block's branch and the head, in order: where the
    /// network's batch norms and linear layers are.
    private static func chain(_ stem: Sequential, _ blocks: [ResidualBlock], _ head: Sequential) -> [Sequential] {
        [stem] + blocks.map(\.branch) + [head]
    }

    /// Per-block measurements of the last step, input to output.
    public var blockStatistics: [BlockStatistics] { blocks.map(\.statistics) }

    // MARK: - Construction

    private static func norm(_ kind: NormKind, _ features: Int) -> (any Layer)? {
        switch kind {
        case .batch: return BatchNorm(features: features)
        case .layer: return LayerNorm(features: features)
        case .none: return nil
        }
    }

    /// A convolutional branch's norm: batch norm or none (layer norm is refused for conv models).
    private static func batchNorm(_ spec: ModelSpec, _ features: Int) -> BatchNorm? {
        spec.norm == .batch ? BatchNorm(features: features) : nil
    }

    /// norm? → act → transform, named with the given index.
    private static func preActivated(_ spec: ModelSpec, features: Int, index: Int, transformName: String,
                                     _ transform: any Layer) -> [(name: String, layer: any Layer)] {
        var layers: [(name: String, layer: any Layer)] = []
        if let n = norm(spec.norm, features) { layers.append(("norm\(index)", n)) }
        layers.append(("act\(index)", Activation(spec.activation)))
        layers.append(("\(transformName)\(index)", transform))
        return layers
    }

    private static func dense(_ spec: ModelSpec) -> (Sequential, [ResidualBlock], Sequential) {
        let w = spec.width
        let stem = Sequential([("linear", Linear(inputs: spec.inputFeatures, outputs: w))])
        let blocks = (0..<spec.depth).map { _ in
            ResidualBlock(branch: Sequential(
                preActivated(spec, features: w, index: 1, transformName: "linear", Linear(inputs: w, outputs: w))
                + preActivated(spec, features: w, index: 2, transformName: "linear", Linear(inputs: w, outputs: w))),
                shortcut: nil)
        }
        var headLayers: [(name: String, layer: any Layer)] = []
        if let n = norm(spec.norm, w) { headLayers.append(("norm", n)) }
        headLayers.append(("act", Activation(spec.activation)))
        headLayers.append(("linear", Linear(inputs: w, outputs: spec.classes)))
        return (stem, blocks, Sequential(headLayers))
    }

    private static func conv(_ spec: ModelSpec) -> (Sequential, [ResidualBlock], Sequential) {
        let (channels, height, width) = (spec.inputShape[0], spec.inputShape[1], spec.inputShape[2])
        let workspaces = ConvolutionWorkspace.perShare()
        let stem = Sequential([
            ("layout", ChannelMajor(channels: channels, height: height, width: width)),
            ("conv", Convolution(inputs: channels, outputs: spec.width, kernel: 3, padding: 1, workspaces: workspaces)),
        ])
        var blocks: [ResidualBlock] = []
        var inputs = spec.width
        for stage in 0..<3 {
            let outputs = spec.width << stage
            for index in 0..<spec.depth {
                let stride = stage > 0 && index == 0 ? 2 : 1
                let first = Convolution(inputs: inputs, outputs: outputs, kernel: 3, stride: stride, padding: 1,
                                        workspaces: workspaces)
                let second = Convolution(inputs: outputs, outputs: outputs, kernel: 3, padding: 1, workspaces: workspaces)
                let branch = Sequential([
                    ("", PreActivatedConvolution(norm: batchNorm(spec, inputs), activation: spec.activation,
                                                 convolution: first, index: 1)),
                    ("", PreActivatedConvolution(norm: batchNorm(spec, outputs), activation: spec.activation,
                                                 convolution: second, index: 2)),
                ])
                let projection = stride != 1 || inputs != outputs
                    ? Convolution(inputs: inputs, outputs: outputs, kernel: 1, stride: stride, workspaces: workspaces) : nil
                blocks.append(ResidualBlock(branch: branch, shortcut: projection))
                inputs = outputs
            }
        }
        var headLayers: [(name: String, layer: any Layer)] = []
        if let n = norm(spec.norm, inputs) { headLayers.append(("norm", n)) }
        headLayers.append(("act", Activation(spec.activation)))
        headLayers.append(("pool", GlobalAveragePool()))
        headLayers.append(("linear", Linear(inputs: inputs, outputs: spec.classes)))
        return (stem, blocks, Sequential(headLayers))
    }
}
