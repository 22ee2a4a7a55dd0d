import Kernels

/// Fully connected or convolutional ResNet.
public enum ModelKind: String, CaseIterable, Codable, Sendable {
    case dense, conv
}

/// The normalisation used inside every branch.
public enum NormKind: String, CaseIterable, Codable, Sendable {
    case batch, layer, none
}

/// How weights are drawn at the start.
public enum InitKind: String, CaseIterable, Codable, Sendable {
    /// N(0, 2/fan_in), for ReLU-like activations.
    case he
    /// N(0, 2/(fan_in + fan_out)), for tanh and sigmoid.
    case xavier
    /// He, but the last layer of every branch starts at zero, so every block
    /// starts as the identity (Fixup, Goyal et al.).
    case zero
}

/// Everything needed to build a network: its architecture, not its weights.
public struct ModelSpec: Codable, Sendable, Equatable {
    public var kind: ModelKind
    /// `[features]` for dense models, `[channels, height, width]` for conv models.
    public var inputShape: [Int]
    public var classes: Int
    /// Blocks in all for dense models; blocks per stage (three stages) for conv models.
    public var depth: Int
    /// Hidden width; conv stages use width, 2·width and 4·width channels.
    public var width: Int
    public var activation: ActivationKind
    public var norm: NormKind
    public var initialization: InitKind

    public init(kind: ModelKind, inputShape: [Int], classes: Int, depth: Int, width: Int,
                activation: ActivationKind = .relu, norm: NormKind = .batch, initialization: InitKind = .he) {
        self.kind = kind
        self.inputShape = inputShape
        self.classes = classes
        self.depth = depth
        self.width = width
        self.activation = activation
        self.norm = norm
        self.initialization = initialization
    }

    /// Number of residual blocks.
    public var blockCount: Int { kind == .dense ? depth : 3 * depth }

    /// Features of one input sample (0 for a shape with no valid size: see `problem`).
    public var inputFeatures: Int { checkedProduct(inputShape, atMost: Self.maximumInputFeatures) ?? 0 }

    /// Caps on what a specification (from options or a checkpoint) may ask for.
    public static let maximumInputFeatures = 1 << 24
    public static let maximumClasses = 100_000
    public static let maximumWidth = 4096
    public static let maximumDepth = 1000

    /// About how many floats one sample's activations take in a forward
    /// pass: each block keeps about six tensors of its size for backward.
    public var activationFloatsPerSample: Int {
        switch kind {
        case .dense:
            return 6 * width * blockCount
        case .conv:
            let (height, width) = (inputShape[1], inputShape[2])
            return (0..<3).reduce(0) { total, stage in
                let side = 1 << stage
                return total + 6 * depth * (self.width << stage) * ((height + side - 1) / side) * ((width + side - 1) / side)
            }
        }
    }

    /// Why this specification cannot be built, or nil if it can.
    public var problem: String? {
        if depth < 1 { return "depth must be at least 1 (got \(depth))" }
        if width < 1 { return "width must be at least 1 (got \(width))" }
        if classes < 2 { return "a classifier needs at least 2 classes (got \(classes))" }
        if width > Self.maximumWidth { return "width \(width) is larger than this CPU lab supports (at most \(Self.maximumWidth))" }
        if depth > Self.maximumDepth { return "depth \(depth) is larger than this lab supports (at most \(Self.maximumDepth))" }
        if classes > Self.maximumClasses { return "\(classes) classes are more than this lab supports (at most \(Self.maximumClasses))" }
        if inputShape.isEmpty || inputShape.contains(where: { $0 < 1 }) || inputFeatures == 0 {
            return "input shape \(inputShape) is not a sample size this lab supports (at most \(Self.maximumInputFeatures) features)"
        }
        if kind == .conv {
            if inputShape.count != 3 { return "the conv model needs image data; this dataset's samples have shape \(inputShape)" }
            if norm == .layer { return "layer norm is available for dense models only; use --norm batch or none" }
            if inputShape[1] < 4 || inputShape[2] < 4 { return "images must be at least 4×4 for the conv model" }
        }
        return nil
    }
}
