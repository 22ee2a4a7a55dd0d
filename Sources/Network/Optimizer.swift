import Foundation
import Kernels

/// Which update rule trains the network.
public enum OptimizerKind: String, CaseIterable, Codable, Sendable {
    case sgd, adam
}

/// Optimizer settings, with PyTorch's meaning for every field.
public struct OptimizerSettings: Codable, Sendable, Equatable {
    public var kind: OptimizerKind
    public var momentum: Float
    public var nesterov: Bool
    public var weightDecay: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8

    public init(kind: OptimizerKind, momentum: Float = 0.9, nesterov: Bool = true, weightDecay: Float = 5e-4) {
        self.kind = kind
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }
}

/// Updates parameters from their gradients: SGD with momentum (optionally
/// Nesterov) or Adam, both with L2 weight decay added to the gradient, as
/// `torch.optim.SGD` and `torch.optim.Adam` do.
public final class Optimizer {
    public let settings: OptimizerSettings
    private let states: [ParameterState]
    private var steps = 0

    public init(settings: OptimizerSettings, parameters: [Parameter]) {
        self.settings = settings
        states = parameters.map { ParameterState($0, adam: settings.kind == .adam) }
    }

    /// Applies one update with learning rate `rate`. The tensors are shared
    /// out among the threads; each is updated whole by one of them, so the
    /// result does not depend on the thread count. With more than one
    /// thread, the new weights are stored streaming when the cores sit far
    /// apart (see `sgdUpdate`), which changes the speed, not the values.
    public func step(rate: Float) {
        steps += 1
        var streamingWeights = false
        if WorkerPool.shared.threads > 1 {
            CorePlacement.shared.refreshIfStale()
            streamingWeights = CorePlacement.shared.coresSitFarApart
        }
        WorkerPool.shared.forEach(states, ParameterUpdates(settings: settings, step: steps, rate: rate,
                                                           streamingWeights: streamingWeights))
    }
}

/// One update of every parameter, each tensor an item for the worker pool.
private struct ParameterUpdates: ItemWork {
    let settings: OptimizerSettings, step: Int, rate: Float, streamingWeights: Bool

    func weight(of state: ParameterState) -> Int { state.parameter.count }
    func run(_ state: ParameterState) {
        state.update(settings: settings, step: step, rate: rate, streamingWeights: streamingWeights)
    }
}

/// One parameter and the optimizer's running state for it.
private final class ParameterState {
    let parameter: Parameter
    var firstMoment: [Float]
    var secondMoment: [Float]

    init(_ parameter: Parameter, adam: Bool) {
        self.parameter = parameter
        firstMoment = [Float](repeating: 0, count: parameter.value.count)
        secondMoment = adam ? firstMoment : []
    }

    /// One update; `step` counts from 1.
    func update(settings: OptimizerSettings, step: Int, rate: Float, streamingWeights: Bool) {
        let p = parameter
        switch settings.kind {
        case .sgd:
            sgdUpdate(&p.value, gradient: p.gradient, velocity: &firstMoment, rate: rate, momentum: settings.momentum,
                      decay: settings.weightDecay, nesterov: settings.nesterov, first: step == 1,
                      streamingWeights: streamingWeights)
        case .adam:
            let corrections = (1 - pow(settings.beta1, Float(step)), 1 - pow(settings.beta2, Float(step)))
            adamUpdate(&p.value, gradient: p.gradient, firstMoment: &firstMoment, secondMoment: &secondMoment,
                       rate: rate, betas: (settings.beta1, settings.beta2), epsilon: settings.epsilon,
                       decay: settings.weightDecay, corrections: corrections, streamingWeights: streamingWeights)
        }
    }
}
