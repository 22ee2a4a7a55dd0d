import Foundation

/// How far a live experiment has come.
public struct ExperimentProgress: Codable, Sendable, Equatable {
    public let name: String
    public let done: Int
    public let total: Int

    public init(name: String, done: Int, total: Int) {
        self.name = name
        self.done = done
        self.total = total
    }
}

/// Accuracy with each block lesioned alone (Veit et al. 2016, figure 3).
public struct SingleLesionResult: Codable, Sendable, Equatable {
    public var kind = "lesion-single"
    /// Which network of a twin pair: `residual` or `plain`; absent otherwise.
    public var run: String?
    /// What was done to each block: `deleted` or `plain`.
    public let mode: BlockMode
    /// Accuracy of the intact network.
    public let intact: Float
    /// Accuracy with block i (0-based) lesioned, input to output.
    public let accuracy: [Float]
    /// Whether block i halves the image (a projection shortcut), as Veit's
    /// downsampling blocks do; absent for networks without any.
    public var downsampling: [Bool]?

    public init(mode: BlockMode, intact: Float, accuracy: [Float], downsampling: [Bool]? = nil) {
        self.mode = mode
        self.intact = intact
        self.accuracy = accuracy
        self.downsampling = downsampling
    }

    /// The mean accuracy with one ordinary block lesioned, and with one
    /// downsampling block lesioned (nil without any).
    public var groupMeans: (ordinary: Float, downsampling: Float?) {
        let marks = downsampling ?? Array(repeating: false, count: accuracy.count)
        func mean(_ values: [Float]) -> Float? { values.isEmpty ? nil : values.reduce(0, +) / Float(values.count) }
        let ordinary = zip(accuracy, marks).filter { !$0.1 }.map(\.0)
        let downsampled = zip(accuracy, marks).filter { $0.1 }.map(\.0)
        return (mean(ordinary) ?? intact, mean(downsampled))
    }
}

/// Accuracy with k random blocks deleted (Veit et al., figure 5a).
public struct KDeletionResult: Codable, Sendable, Equatable {
    public var kind = "lesion-k"
    /// Which network of a twin pair: `residual` or `plain`; absent otherwise.
    public var run: String?
    public let k: Int
    public let samples: Int
    public let mean: Float
    public let std: Float

    public init(k: Int, samples: Int, mean: Float, std: Float) {
        self.k = k
        self.samples = samples
        self.mean = mean
        self.std = std
    }
}

/// Accuracy after swapping random pairs of interchangeable blocks (Veit et al., figure 5b).
public struct ReorderResult: Codable, Sendable, Equatable {
    public var kind = "lesion-reorder"
    /// Which network of a twin pair: `residual` or `plain`; absent otherwise.
    public var run: String?
    public let swaps: Int
    /// Kendall's τ between the new block order and the original one.
    public let kendallTau: Float
    public let accuracy: Float

    public init(swaps: Int, kendallTau: Float, accuracy: Float) {
        self.swaps = swaps
        self.kendallTau = kendallTau
        self.accuracy = accuracy
    }

    enum CodingKeys: String, CodingKey {
        case kind, run, swaps, accuracy
        case kendallTau = "kendall_tau"
    }
}

/// How the gradient is spread over the paths of a residual network
/// (Veit et al. 2016, figure 6).
public struct PathResult: Codable, Sendable, Equatable {
    public var kind = "paths"
    /// Which network of a twin pair: `residual` (paths need skips); absent otherwise.
    public var run: String?
    /// Number of blocks n; path lengths run from 0 to n.
    public let blocks: Int
    /// Share of paths of each length: Binomial(n, ½).
    public let distribution: [Double]
    /// Mean ‖∂L/∂x‖ at the input for one path of each length.
    public let gradientPerPath: [Double]
    /// Share of the total gradient carried by all paths of each length:
    /// distribution × gradient per path, normalised.
    public let totalGradient: [Double]
    /// The shortest interval of lengths carrying 90 % of the total gradient.
    public let effectiveRange: [Int]

    public init(blocks: Int, distribution: [Double], gradientPerPath: [Double], totalGradient: [Double], effectiveRange: [Int]) {
        self.blocks = blocks
        self.distribution = distribution
        self.gradientPerPath = gradientPerPath
        self.totalGradient = totalGradient
        self.effectiveRange = effectiveRange
    }

    enum CodingKeys: String, CodingKey {
        case kind, run, blocks, distribution
        case gradientPerPath = "gradient_per_path"
        case totalGradient = "total_gradient"
        case effectiveRange = "effective_range"
    }
}

/// One forward and backward pass of a trained network on a fixed batch, as
/// a training step computes it but without changing a weight (`reslab inspect`).
public struct InspectionResult: Codable, Sendable, Equatable {
    public var kind = "inspect"
    /// `train` (a batch drawn as training draws its first) or `validation` (the whole split).
    public let split: String
    /// The samples of the batch, in order, as indices into `split`.
    public let indices: [Int]
    public let blockModes: [BlockMode]
    public let loss: Float
    public let accuracy: Float
    /// ‖∂L/∂W‖ of each block's branch, ‖∂L/∂x‖ at its input, ‖F(x)‖/‖S(x)‖.
    public let gradientNorms: [Float]
    public let inputGradientNorms: [Float]
    public let branchRatios: [Float?]

    public init(split: String, indices: [Int], blockModes: [BlockMode], loss: Float, accuracy: Float,
                gradientNorms: [Float], inputGradientNorms: [Float], branchRatios: [Float?]) {
        self.split = split
        self.indices = indices
        self.blockModes = blockModes
        self.loss = loss
        self.accuracy = accuracy
        self.gradientNorms = gradientNorms
        self.inputGradientNorms = inputGradientNorms
        self.branchRatios = branchRatios
    }

    enum CodingKeys: String, CodingKey {
        case kind, split, indices, loss, accuracy
        case blockModes = "block_modes"
        case gradientNorms = "grad_norm"
        case inputGradientNorms = "input_grad_norm"
        case branchRatios = "branch_ratio"
    }
}
