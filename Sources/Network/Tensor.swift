import Kernels

/// A dense array of floats with a shape. Row-major; dense activations are
/// `[batch, features]` and convolutional activations are channel-major
/// `[channels, batch, height, width]`, so that one GEMM covers a whole batch.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not hold \(data.count) values")
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }

    /// No values, shape `[0]`: what a layer holds when it keeps no tensor
    /// (shared, so that assigning it allocates nothing).
    public static let empty = Tensor(shape: [0], data: [])

    /// The Euclidean norm of all values, accumulated in double precision.
    public var norm: Float {
        Float(sumOfSquares(data).squareRoot())
    }

    /// How per-channel kernels see this tensor.
    public var channelLayout: ChannelLayout { ChannelLayout(shape: shape) }

    /// Element-wise sum of two tensors of the same shape.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "cannot add \(lhs.shape) and \(rhs.shape)")
        return Tensor(shape: lhs.shape, data: add(lhs.data, rhs.data))
    }
}

extension ChannelLayout {
    /// Dense `[batch, features]` has its channels along rows, channel-major
    /// `[C, N, H, W]` in blocks; any other shape is one flat run.
    init(shape: [Int]) {
        switch shape.count {
        case 2: self.init(outer: shape[0], channels: shape[1], inner: 1)
        case 4: self.init(outer: 1, channels: shape[0], inner: shape[1] * shape[2] * shape[3])
        default: self.init(flat: shape.reduce(1, *))
        }
    }
}
