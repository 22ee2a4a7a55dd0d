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
    private let parameters: [Parameter]
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]
    private var steps = 0

    public init(settings: OptimizerSettings, parameters: [Parameter]) {
        self.settings = settings
        self.parameters = parameters
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        secondMoments = settings.kind == .adam ? firstMoments : []
    }

    /// Applies one update with learning rate `rate`.
    public func step(rate: Float) {
        steps += 1
        for (index, p) in parameters.enumerated() {
            switch settings.kind {
            case .sgd: sgd(p, &firstMoments[index], rate)
            case .adam: adam(p, &firstMoments[index], &secondMoments[index], rate)
            }
        }
    }

    // The updates take the parameter's arrays as `inout` arguments: one
    // exclusive access per tensor, and the element loop runs in a kernel.

    private func sgd(_ p: Parameter, _ velocity: inout [Float], _ rate: Float) {
        sgdUpdate(&p.value, gradient: p.gradient, velocity: &velocity, rate: rate, momentum: settings.momentum,
                  decay: settings.weightDecay, nesterov: settings.nesterov, first: steps == 1)
    }

    private func adam(_ p: Parameter, _ m: inout [Float], _ v: inout [Float], _ rate: Float) {
        let corrections = (1 - pow(settings.beta1, Float(steps)), 1 - pow(settings.beta2, Float(steps)))
        adamUpdate(&p.value, gradient: p.gradient, firstMoment: &m, secondMoment: &v, rate: rate,
                   betas: (settings.beta1, settings.beta2), epsilon: settings.epsilon,
                   decay: settings.weightDecay, corrections: corrections)
    }
}
