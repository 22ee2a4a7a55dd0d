/// Averages each channel over its spatial positions:
/// channel-major `[C, batch, H, W]` in, `[batch, C]` out, ready for a `Linear` head.
public final class GlobalAveragePool: Layer {
    private var inputShape: [Int] = []

    public init() {}

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        inputShape = input.shape
        let (channels, batch, plane) = (input.shape[0], input.shape[1], input.shape[2] * input.shape[3])
        var out = [Float](repeating: 0, count: batch * channels)
        for c in 0..<channels {
            for n in 0..<batch {
                var sum: Float = 0
                let base = (c * batch + n) * plane
                for p in 0..<plane { sum += input.data[base + p] }
                out[n * channels + c] = sum / Float(plane)
            }
        }
        return Tensor(shape: [batch, channels], data: out)
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        let (channels, batch, plane) = (inputShape[0], inputShape[1], inputShape[2] * inputShape[3])
        var dx = [Float](repeating: 0, count: channels * batch * plane)
        for c in 0..<channels {
            for n in 0..<batch {
                let share = outputGradient.data[n * channels + c] / Float(plane)
                let base = (c * batch + n) * plane
                for p in 0..<plane { dx[base + p] = share }
            }
        }
        return Tensor(shape: inputShape, data: dx)
    }
}
