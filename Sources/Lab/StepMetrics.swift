import Network

/// The training figures gathered between two snapshots: each step adds its
/// loss, its correct answers and each block's gradient norms; a snapshot
/// takes their means, and the sums start again.
struct StepMetrics {
    /// The means a snapshot reports.
    struct Summary: Equatable {
        var trainLoss: Float
        var trainAccuracy: Float
        var gradientNorms: [Float]
        var inputGradientNorms: [Float]
        var samplesPerSecond: Double
    }

    private var lossSum = 0.0
    private var correct = 0
    private var samples = 0
    private var steps = 0
    private var time = Duration.zero
    private var sums: [(weight: Double, input: Double)]
    /// ‖F(x)‖ / ‖S(x)‖ of each block at the latest step.
    private(set) var branchRatios: [Float?] = []
    /// The means of the last interval that had steps, kept until a reset.
    private(set) var last: Summary?

    init(blocks: Int) {
        sums = Array(repeating: (0, 0), count: blocks)
    }

    /// Adds a finite step's figures and how long it took.
    /// Each block's statistics are read where they are, and the ratios
    /// written into the array kept here, so that a step allocates nothing.
    mutating func add(_ result: StepResult, blocks: [ResidualBlock], time elapsed: Duration) {
        lossSum += Double(result.loss)
        correct += result.correct
        samples += result.samples
        steps += 1
        time += elapsed
        if branchRatios.count != blocks.count { branchRatios = Array(repeating: nil, count: blocks.count) }
        for (index, block) in blocks.enumerated() {
            let statistics = block.statistics
            sums[index].weight += Double(statistics.weightGradientNorm)
            sums[index].input += Double(statistics.inputGradientNorm)
            branchRatios[index] = statistics.branchRatio
        }
    }

    /// The means since the last call (or the previous ones if no step was
    /// taken since), and the sums start again.
    mutating func takeSummary() -> Summary? {
        if steps > 0 {
            let count = Double(steps)
            let seconds = time.seconds
            last = Summary(trainLoss: Float(lossSum / count), trainAccuracy: Float(correct) / Float(max(samples, 1)),
                           gradientNorms: sums.map { Float($0.weight / count) },
                           inputGradientNorms: sums.map { Float($0.input / count) },
                           samplesPerSecond: seconds > 0 ? Double(samples) / seconds : 0)
        }
        clearSums()
        return last
    }

    /// Forgets everything, the last means too (after a reset).
    mutating func reset() {
        clearSums()
        last = nil
    }

    private mutating func clearSums() {
        lossSum = 0
        correct = 0
        samples = 0
        steps = 0
        time = .zero
        sums = sums.map { _ in (0, 0) }
    }
}
