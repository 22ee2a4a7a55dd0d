import Network

/// The training figures gathered between two snapshots: each step adds its
/// loss, its correct answers and each block's gradient norms; a snapshot
/// takes their means.
///
/// The sums are kept twice: since the last snapshot, for a screen's live
/// bars, and since the last evaluation, for the snapshots published with an
/// evaluation. So a snapshot at an evaluation (the final one too) reports the
/// same means whether the run publishes on a timer or only at evaluations:
/// a twin run's verdict on screen matches `reslab train`'s.
struct StepMetrics {
    /// The means a snapshot reports.
    struct Summary: Equatable {
        var trainLoss: Float
        var trainAccuracy: Float
        var gradientNorms: [Float]
        var inputGradientNorms: [Float]
        var samplesPerSecond: Double
    }

    /// Sums over a run of steps.
    private struct Sums {
        var loss = 0.0
        var correct = 0
        var samples = 0
        var steps = 0
        var time = Duration.zero
        var norms: [(weight: Double, input: Double)]

        init(blocks: Int) { norms = Array(repeating: (0, 0), count: blocks) }

        mutating func add(_ result: StepResult, time elapsed: Duration) {
            loss += Double(result.loss)
            correct += result.correct
            samples += result.samples
            steps += 1
            time += elapsed
        }

        mutating func add(_ statistics: BlockStatistics, block index: Int) {
            norms[index].weight += Double(statistics.weightGradientNorm)
            norms[index].input += Double(statistics.inputGradientNorm)
        }

        /// The means, or nil without a step.
        var summary: Summary? {
            guard steps > 0 else { return nil }
            let count = Double(steps), seconds = time.seconds
            return Summary(trainLoss: Float(loss / count), trainAccuracy: Float(correct) / Float(max(samples, 1)),
                           gradientNorms: norms.map { Float($0.weight / count) },
                           inputGradientNorms: norms.map { Float($0.input / count) },
                           samplesPerSecond: seconds > 0 ? Double(samples) / seconds : 0)
        }

        /// Starts again, in place.
        mutating func clear() {
            loss = 0
            correct = 0
            samples = 0
            steps = 0
            time = .zero
            for index in norms.indices { norms[index] = (0, 0) }
        }
    }

    private var sinceSnapshot: Sums
    private var sinceEvaluation: Sums
    /// ‖F(x)‖ / ‖S(x)‖ of each block at the latest step.
    private(set) var branchRatios: [Float?] = []
    /// The means of the last snapshot that had steps, kept until a reset.
    private(set) var last: Summary?

    init(blocks: Int) {
        sinceSnapshot = Sums(blocks: blocks)
        sinceEvaluation = Sums(blocks: blocks)
    }

    /// Adds a finite step's figures and how long it took.
    /// Each block's statistics are read once (the weight-gradient norm is a
    /// pass over the block's gradients) where they are, and the ratios
    /// written into the array kept here, so that a step allocates nothing.
    mutating func add(_ result: StepResult, blocks: [ResidualBlock], time elapsed: Duration) {
        sinceSnapshot.add(result, time: elapsed)
        sinceEvaluation.add(result, time: elapsed)
        if branchRatios.count != blocks.count { branchRatios = Array(repeating: nil, count: blocks.count) }
        for (index, block) in blocks.enumerated() {
            let statistics = block.statistics
            sinceSnapshot.add(statistics, block: index)
            sinceEvaluation.add(statistics, block: index)
            branchRatios[index] = statistics.branchRatio
        }
    }

    /// The means since the last snapshot, or, at an evaluation, since the
    /// last evaluation (the previous means if no step was taken since).
    mutating func takeSummary(atEvaluation: Bool) -> Summary? {
        if let summary = (atEvaluation ? sinceEvaluation : sinceSnapshot).summary { last = summary }
        sinceSnapshot.clear()
        if atEvaluation { sinceEvaluation.clear() }
        return last
    }

    /// Forgets everything, the last means too (after a reset).
    mutating func reset() {
        sinceSnapshot.clear()
        sinceEvaluation.clear()
        last = nil
    }
}
