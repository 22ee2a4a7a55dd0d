import Kernels

/// A learnable array and the gradient accumulated for it by `backward`.
/// A reference type: layers, the optimizer and checkpoints share one instance.
public final class Parameter {
    public let shape: [Int]
    public var value: [Float]
    public var gradient: [Float]

    public init(shape: [Int], value: [Float]) {
        precondition(shape.reduce(1, *) == value.count)
        self.shape = shape
        self.value = value
        self.gradient = [Float](repeating: 0, count: value.count)
    }

    /// A parameter filled with one value.
    public convenience init(shape: [Int], repeating fill: Float) {
        self.init(shape: shape, value: [Float](repeating: fill, count: shape.reduce(1, *)))
    }

    public func zeroGradient() {
        setToZero(&gradient)
    }

    /// The sum of squared gradient entries.
    public var gradientSquaredSum: Double {
        sumOfSquares(gradient)
    }
}

/// A parameter or state tensor with its dotted name, e.g. `blocks.3.branch.conv1.weight`.
public struct NamedParameter {
    public let name: String
    public let parameter: Parameter
}

extension Array where Element == NamedParameter {
    /// The same entries with `prefix.` in front of every name.
    func prefixed(_ prefix: String) -> [NamedParameter] {
        map { NamedParameter(name: "\(prefix).\($0.name)", parameter: $0.parameter) }
    }
}
