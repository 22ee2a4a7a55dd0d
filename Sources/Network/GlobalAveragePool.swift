/// Averages each channel over its spatial positions:
/// channel-major `[C, batch, H, W]` in, `[batch, C]` out, ready for a `Linear` head.
public final class GlobalAveragePool: Layer {
    private var store = TensorStore()
    /// The input and output shapes of the last batch.
    private var shapes: (input: [Int], output: [Int]) = ([], [])

    public init() {}

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if shapes.input != input.shape { shapes = (input.shape, [input.shape[1], input.shape[0]]) }
        let (channels, batch, plane) = (input.shape[0], input.shape[1], input.shape[2] * input.shape[3])
        var out = store.takeTensor(shapes.output)
        for c in 0..<channels {
            for n in 0..<batch {
                var sum: Float = 0
                let base = (c * batch + n) * plane
                for p in 0..<plane { sum += input.data[base + p] }
                out.data[n * channels + c] = sum / Float(plane)
            }
        }
        store.give(input.data)
        return out
    }

    public func backward(_ outputGradient: consuming Tensor) -> Tensor {
        let (channels, batch, plane) = (shapes.input[0], shapes.input[1], shapes.input[2] * shapes.input[3])
        var dx = store.takeTensor(shapes.input)
        for c in 0..<channels {
            for n in 0..<batch {
                let share = outputGradient.data[n * channels + c] / Float(plane)
                let base = (c * batch + n) * plane
                for p in 0..<plane { dx.data[base + p] = share }
            }
        }
        store.give(outputGradient.data)
        return dx
    }

    public func use(_ store: TensorStore) { self.store = store }
}
