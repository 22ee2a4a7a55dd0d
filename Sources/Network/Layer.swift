/// One differentiable step of a network.
///
/// `forward` remembers what `backward` needs; `backward` takes the gradient
/// of the loss with respect to the output of the last `forward`, *adds* the
/// gradients of the layer's parameters into `Parameter.gradient`, and
/// returns the gradient with respect to the input.
public protocol Layer: AnyObject {
    func forward(_ input: Tensor, training: Bool) -> Tensor
    func backward(_ outputGradient: Tensor) -> Tensor
    /// `backward` for the first layers of a network: adds the parameter
    /// gradients and skips `∂L/∂input`, which nothing needs in training.
    func accumulateParameterGradients(_ outputGradient: Tensor)
    /// Learnable tensors, by local name (`weight`, `bias`).
    var parameters: [NamedParameter] { get }
    /// Non-learnable state saved with the weights (batch-norm running statistics).
    var buffers: [NamedParameter] { get }
    /// The batch norms inside, which meet their replicas' in a data-parallel step.
    var batchNorms: [BatchNorm] { get }
    /// Drops what the last forward pass kept for `backward`, once a training
    /// step is done with it; no backward pass may follow before the next forward.
    func releaseActivations()
}

extension Layer {
    public func accumulateParameterGradients(_ outputGradient: Tensor) {
        _ = backward(outputGradient)
    }

    public var parameters: [NamedParameter] { [] }
    public var buffers: [NamedParameter] { [] }
    public var batchNorms: [BatchNorm] { [] }
    public func releaseActivations() {}
}

/// Layers applied one after another, each with a name for its parameters
/// (an empty name leaves a layer's own names, for a layer that fuses parts
/// each named already).
public final class Sequential: Layer {
    public let layers: [(name: String, layer: any Layer)]

    public init(_ layers: [(name: String, layer: any Layer)]) {
        self.layers = layers
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        layers.reduce(input) { $1.layer.forward($0, training: training) }
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        layers.reversed().reduce(outputGradient) { $1.layer.backward($0) }
    }

    /// Backpropagates down to the first layer with parameters, which only
    /// adds its parameter gradients; the layers before it are not visited.
    public func accumulateParameterGradients(_ outputGradient: Tensor) {
        guard let first = layers.firstIndex(where: { !$0.layer.parameters.isEmpty }) else { return }
        let gradient = layers[(first + 1)...].reversed().reduce(outputGradient) { $1.layer.backward($0) }
        layers[first].layer.accumulateParameterGradients(gradient)
    }

    public var parameters: [NamedParameter] {
        layers.flatMap { $0.layer.parameters.prefixed($0.name) }
    }

    public var buffers: [NamedParameter] {
        layers.flatMap { $0.layer.buffers.prefixed($0.name) }
    }

    public var batchNorms: [BatchNorm] { layers.flatMap(\.layer.batchNorms) }

    public func releaseActivations() {
        for entry in layers { entry.layer.releaseActivations() }
    }
}
