/// The arithmetic a training step needs, counted from the architecture: what
/// a benchmark may call useful work, as opposed to what the kernels happen to
/// compute (padding included).
extension ModelSpec {
    /// Floating-point operations (two per multiply-add) of the matrix
    /// products one training sample needs: forward, weight gradient and input
    /// gradient of every linear layer and convolution, except the input
    /// gradient of the first, which training skips. Products on padding do
    /// not count, nor does the elementwise work (norms, activations, updates).
    public var trainingOperationsPerSample: Double {
        switch kind {
        case .dense:
            let stem = Double(inputFeatures) * Double(width)
            let blocks = 2 * Double(depth) * Double(width) * Double(width)
            let head = Double(width) * Double(classes)
            return 2 * (3 * (stem + blocks + head) - stem)
        case .conv:
            var (height, breadth) = (inputShape[1], inputShape[2])
            let stem = Double(inputShape[0] * 9 * width) * Double(height * breadth)
            // Multiply-adds per sample of every product after the stem.
            var products = 0.0
            var inputs = width
            for stage in 0..<3 {
                let outputs = width << stage
                for index in 0..<depth {
                    // A stride-2 3×3 (padding 1) or 1×1 convolution keeps ⌈n/2⌉ of n positions.
                    if stage > 0 && index == 0 { (height, breadth) = ((height + 1) / 2, (breadth + 1) / 2) }
                    let positions = Double(height * breadth)
                    products += Double(inputs * 9 * outputs + outputs * 9 * outputs) * positions
                    if inputs != outputs { products += Double(inputs * outputs) * positions }
                    inputs = outputs
                }
            }
            products += Double(inputs * classes)
            return 2 * (2 * stem + 3 * products)
        }
    }
}
