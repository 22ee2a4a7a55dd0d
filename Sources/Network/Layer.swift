/// One differentiable step of a network.
///
/// `forward` remembers what `backward` needs; `backward` takes the gradient
/// of the loss with respect to the output of the last `forward`, *adds* the
/// gradients of the layer's parameters into `Parameter.gradient`, and
/// returns the gradient with respect to the input.
///
/// Tensors are owned as in llm.c's one buffer per activation, but handed
/// round through the network's `TensorStore`: a layer takes the storage of
/// every tensor it makes from the store; `forward` gives its input back once
/// it is done with it, unless it keeps it (then `releaseActivations` does);
/// `backward` owns the gradient it receives and either writes its result
/// in that storage or gives it back.
public protocol Layer: AnyObject {
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Takes ownership of `outputGradient`: the layer writes its result in
    /// that storage or gives it back to its store.
    func backward(_ outputGradient: consuming Tensor) -> Tensor
    /// `backward` for the first layers of a network: adds the parameter
    /// gradients and skips `∂L/∂input`, which nothing needs in training.
    func accumulateParameterGradients(_ outputGradient: consuming Tensor)
    /// Learnable tensors, by local name (`weight`, `bias`).
    var parameters: [NamedParameter] { get }
    /// Non-learnable state saved with the weights (batch-norm running statistics).
    var buffers: [NamedParameter] { get }
    /// The batch norms inside, which meet their replicas' in a data-parallel step.
    var batchNorms: [BatchNorm] { get }
    /// Drops what the last forward pass kept for `backward`, once a training
    /// step is done with it; no backward pass may follow before the next forward.
    func releaseActivations()
    /// Makes the layer take the storage of the tensors it makes from
    /// `store`, and give back there what it is done with (see `TensorStore`).
    func use(_ store: TensorStore)
}

extension Layer {
    public func accumulateParameterGradients(_ outputGradient: consuming Tensor) {
        _ = backward(outputGradient)
    }

    public var parameters: [NamedParameter] { [] }
    public var buffers: [NamedParameter] { [] }
    public var batchNorms: [BatchNorm] { [] }
    public func releaseActivations() {}
    public func use(_ store: TensorStore) {}
}

/// Layers applied one after another, each with a name for its parameters
/// (an empty name leaves a layer's own names, for a layer that fuses parts
/// each named already).
public final class Sequential: Layer {
    public let layers: [(name: String, layer: any Layer)]
    /// The first layer with parameters, where a training pass's backward
    /// pass can stop (see `accumulateParameterGradients`).
    private let firstWithParameters: Int?

    public init(_ layers: [(name: String, layer: any Layer)]) {
        self.layers = layers
        firstWithParameters = layers.firstIndex { !$0.layer.parameters.isEmpty }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        layers.reduce(input) { $1.layer.forward($0, training: training) }
    }

    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        backward(outputGradient, through: layers.indices)
    }

    /// Backpropagates down to the first layer with parameters, which only
    /// adds its parameter gradients; the layers before it are not visited.
    public func accumulateParameterGradients(_ outputGradient: consuming Tensor) {
        guard let first = firstWithParameters else { return }
        layers[first].layer.accumulateParameterGradients(backward(outputGradient, through: first + 1..<layers.count))
    }

    /// The gradient handed from layer to layer, last to first, each taking
    /// ownership of it (a fold would keep a second reference to every one).
    private func backward(_ outputGradient: consuming Tensor, through range: Range<Int>) -> Tensor {
        var gradient = outputGradient
        for index in range.reversed() { gradient = layers[index].layer.backward(consume gradient) }
        return gradient
    }

    public var parameters: [NamedParameter] {
        layers.flatMap { $0.layer.parameters.prefixed($0.name) }
    }

    public var buffers: [NamedParameter] {
        layers.flatMap { $0.layer.buffers.prefixed($0.name) }
    }

    public var batchNorms: [BatchNorm] { layers.flatMap(\.layer.batchNorms) }

    public func releaseActivations() {
        releaseActivations(keepingLinearInputs: false)
    }

    /// Drops what the layers kept. `keepingLinearInputs` spares what the
    /// linear layers keep for their parameter gradients in a data-parallel
    /// step (their input and output gradient) and what the layer before
    /// each keeps: its output, which is that input too, must go back to the
    /// store with it, never while the linear layer still holds it.
    func releaseActivations(keepingLinearInputs: Bool) {
        for index in layers.indices {
            let feedsLinear = index + 1 < layers.count && layers[index + 1].layer is Linear
            if keepingLinearInputs && (layers[index].layer is Linear || feedsLinear) { continue }
            layers[index].layer.releaseActivations()
        }
    }

    public func use(_ store: TensorStore) {
        for entry in layers { entry.layer.use(store) }
    }
}
