import Kernels

/// A learnable array and the gradient accumulated for it by `backward`.
/// A reference type: layers, the optimizer and checkpoints share one instance.
public final class Parameter {
    public let shape: [Int]
    /// Elements of the value (and of the gradient), fixed at creation (a
    /// data-parallel replica lends its value out between steps). The
    /// worker pool's item loops read it on every thread: a `let` reads
    /// without touching `value`'s reference count, which both threads would
    /// otherwise bounce between their caches.
    public let count: Int
    public var value: [Float]
    private var storedGradient: [Float]
    /// Set by `zeroGradient()`: the stored gradient is stale and stands for zeros.
    private var gradientIsZero = false

    public init(shape: [Int], value: [Float]) {
        precondition(shape.reduce(1, *) == value.count)
        self.shape = shape
        count = value.count
        self.value = value
        self.storedGradient = [Float](repeating: 0, count: value.count)
    }

    /// The gradient accumulated since the last `zeroGradient()`.
    public var gradient: [Float] {
        get {
            if gradientIsZero { clearStoredGradient() }
            return storedGradient
        }
        set {
            storedGradient = newValue
            gradientIsZero = false
        }
    }

    /// Lets `body` add to the gradient in place. Its second argument is the
    /// factor for what is there: 0 right after `zeroGradient()`, so that a
    /// product can overwrite the stale values instead of clearing and then
    /// adding to them (one pass less over every weight gradient per step),
    /// and 1 otherwise.
    public func accumulateGradient(_ body: (_ gradient: inout [Float], _ existing: Float) -> Void) {
        let existing: Float = gradientIsZero ? 0 : 1
        gradientIsZero = false
        body(&storedGradient, existing)
    }

    /// Adds `part` to the gradient, in place (over a zeroed gradient, copies it).
    public func addToGradient(_ part: [Float]) {
        precondition(part.count == storedGradient.count, "a gradient part of \(part.count) for \(shape)")
        accumulateGradient { gradient, existing in
            if existing == 0 {
                gradient.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: part) }
            } else {
                addInPlace(&gradient, part)
            }
        }
    }

    private func clearStoredGradient() {
        setToZero(&storedGradient)
        gradientIsZero = false
    }

    /// A parameter filled with one value.
    public convenience init(shape: [Int], repeating fill: Float) {
        self.init(shape: shape, value: [Float](repeating: fill, count: shape.reduce(1, *)))
    }

    /// Makes the gradient zero; the storage is cleared only when it is next
    /// read, if no accumulation has overwritten it first.
    public func zeroGradient() {
        gradientIsZero = true
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
    /// The same entries with `prefix.` in front of every name (none for an empty prefix).
    func prefixed(_ prefix: String) -> [NamedParameter] {
        prefix.isEmpty ? self : map { NamedParameter(name: "\(prefix).\($0.name)", parameter: $0.parameter) }
    }
}
