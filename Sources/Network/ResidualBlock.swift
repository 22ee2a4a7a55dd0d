import Kernels
import RunProtocol
/// Which way the gradient flows back through a block. Normally it follows
/// the mode; Veit's path measurement forces it through one side only.
public enum GradientRoute: Sendable {
    case both, branch, shortcut
}

/// What one block measured in its last forward and backward pass.
public struct BlockStatistics: Sendable, Codable, Equatable {
    /// ‖∂L/∂W‖ over the branch's parameters.
    public var weightGradientNorm: Float
    /// ‖∂L/∂x‖ at the block's input.
    public var inputGradientNorm: Float
    /// ‖F(x)‖ / ‖S(x)‖, when the last forward computed both.
    public var branchRatio: Float?
}

/// A pre-activation residual block (He et al. 2016): the branch is
/// norm → act → linear/conv → norm → act → linear/conv, and the shortcut is
/// the identity or, where the shape changes, a projection.
public final class ResidualBlock {
    public let branch: Sequential
    /// `nil` is the identity.
    public let shortcut: (any Layer)?
    private var lastMode: BlockMode = .residual
    /// ‖F(x)‖² and ‖S(x)‖² of the last training forward that computed both.
    private var lastSquares: (branch: Double, shortcut: Double)?
    /// ‖∂L/∂x‖² of the last backward pass.
    private var lastInputGradientSquares: Double = 0

    /// The branch's learnable tensors, whose gradient norm the statistics report.
    private let branchParameters: [Parameter]
    private var store = TensorStore()

    public init(branch: Sequential, shortcut: (any Layer)?) {
        self.branch = branch
        self.shortcut = shortcut
        branchParameters = branch.parameters.map(\.parameter)
    }

    /// Computes the block's output. Training passes also measure ‖F(x)‖/‖S(x)‖;
    /// evaluations skip that work and leave the last measurement alone.
    public func forward(_ x: Tensor, mode: BlockMode, training: Bool) -> Tensor {
        lastMode = mode
        if training { lastSquares = nil }
        switch mode {
        case .residual:
            var f = branch.forward(x, training: training)
            let s = shortcut?.forward(x, training: training) ?? x
            if training {
                let squares = addInPlaceSummingSquares(&f.data, s.data)
                lastSquares = (squares.a, squares.b)
            } else {
                addInPlace(&f.data, s.data)
            }
            if shortcut != nil { store.give(s.data) }
            return f
        case .plain:
            return branch.forward(x, training: training)
        case .deleted:
            return shortcut?.forward(x, training: training) ?? x
        }
    }

    /// Backpropagates through the sides the last forward used, or only
    /// through `route`'s side when one is given (the last forward must have
    /// computed that side).
    public func backward(_ dy: Tensor, route: GradientRoute? = nil) -> Tensor {
        let route = route ?? defaultRoute
        let dx: Tensor
        switch route {
        case .both:
            var sum = branch.backward(dy)
            let shortcutGradient = shortcut?.backward(dy) ?? dy
            lastInputGradientSquares = addInPlaceSummingSquaresOfSum(&sum.data, shortcutGradient.data)
            if shortcut != nil { store.give(shortcutGradient.data) }
            return sum
        case .branch: dx = branch.backward(dy)
        case .shortcut: dx = shortcut?.backward(dy) ?? dy
        }
        lastInputGradientSquares = sumOfSquares(dx.data)
        return dx
    }

    /// Drops what the last forward pass kept for the backward pass, but for
    /// what the branch's linear layers keep for a data-parallel step's
    /// parameter gradients when `keepingLinearInputs` (see `Sequential`).
    public func releaseActivations(keepingLinearInputs: Bool = false) {
        branch.releaseActivations(keepingLinearInputs: keepingLinearInputs)
        shortcut?.releaseActivations()
    }

    /// Makes the block's layers share `store` (see `TensorStore`).
    public func use(_ store: TensorStore) {
        self.store = store
        branch.use(store)
        shortcut?.use(store)
    }

    private var defaultRoute: GradientRoute {
        switch lastMode {
        case .residual: return .both
        case .plain: return .branch
        case .deleted: return .shortcut
        }
    }

    /// The measurements of the last step.
    public var statistics: BlockStatistics {
        let squares = branchParameters.reduce(0.0) { $0 + $1.gradientSquaredSum }
        let ratio = lastSquares.flatMap { $0.shortcut > 0 ? Float(($0.branch / $0.shortcut).squareRoot()) : nil }
        return BlockStatistics(weightGradientNorm: Float(squares.squareRoot()),
                               inputGradientNorm: Float(lastInputGradientSquares.squareRoot()), branchRatio: ratio)
    }

    /// Takes over the measurements of `shards`, replicas of this block that
    /// each ran the last step on part of the batch: their squared norms add
    /// up to the whole batch's.
    func adoptMeasurements(of shards: [ResidualBlock]) {
        lastMode = shards[0].lastMode
        lastInputGradientSquares = shards.reduce(0) { $0 + $1.lastInputGradientSquares }
        // Added up in shard order; missing if any shard did not measure.
        var squares: (branch: Double, shortcut: Double)? = (0, 0)
        for shard in shards {
            guard let sum = squares, let part = shard.lastSquares else { squares = nil; break }
            squares = (sum.branch + part.branch, sum.shortcut + part.shortcut)
        }
        lastSquares = squares
    }

    public var parameters: [NamedParameter] {
        branch.parameters.prefixed("branch") + (shortcut?.parameters.prefixed("shortcut") ?? [])
    }

    public var buffers: [NamedParameter] {
        branch.buffers.prefixed("branch") + (shortcut?.buffers.prefixed("shortcut") ?? [])
    }
}
