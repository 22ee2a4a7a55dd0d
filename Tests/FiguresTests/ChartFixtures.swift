import Figures
import Foundation
import RunProtocol

/// Fixed results of every kind, as a twin pair produces them, for the chart tests.
enum ChartFixtures {
    static func snapshot(_ run: String, step: Int, loss: Float, accuracy: Float, norms: [Float]) -> Snapshot {
        var snapshot = Snapshot()
        (snapshot.run, snapshot.step, snapshot.trainLoss, snapshot.trainAccuracy) = (run, step, loss, accuracy)
        (snapshot.validationLoss, snapshot.validationAccuracy, snapshot.gradientNorms) = (loss * 1.1, accuracy * 0.97, norms)
        return snapshot
    }

    /// Per-block norms that shrink towards the input by `decay` per block.
    static func norms(decay: Double) -> [Float] {
        (0..<8).map { block in Float(0.2 * pow(decay, Double(8 - block))) }
    }

    static let histories: [[Snapshot]] = ["residual", "plain"].map { run in
        (0...10).map { index in
            let loss = 1.1 / Float(1 + index), accuracy = 0.33 + 0.06 * Float(index)
            return snapshot(run, step: index * 100, loss: loss, accuracy: accuracy, norms: norms(decay: run == "plain" ? 1e-3 : 0.7))
        }
    }

    static let singles: [SingleLesionResult] = {
        var residual = SingleLesionResult(mode: .deleted, intact: 0.95, accuracy: [0.61, 0.9, 0.93, 0.94, 0.94, 0.92, 0.95, 0.94])
        residual.run = "residual"
        var plain = SingleLesionResult(mode: .deleted, intact: 0.93, accuracy: [0.33, 0.35, 0.34, 0.33, 0.36, 0.33, 0.34, 0.33])
        plain.run = "plain"
        return [residual, plain]
    }()

    static let deletions: [KDeletionResult] = ["residual", "plain"].flatMap { run in
        [0, 1, 2, 4, 8].map { k in
            var result = KDeletionResult(k: k, samples: 20, mean: run == "plain" ? (k == 0 ? 0.93 : 0.34) : 0.95 - 0.06 * Float(k),
                                         std: k == 0 ? 0 : 0.02 * Float(k).squareRoot())
            result.run = run
            return result
        }
    }

    static let reorderings: [ReorderResult] = ["residual", "plain"].flatMap { run in
        (0..<10).map { index in
            var result = ReorderResult(swaps: 1 << (index % 5), kendallTau: 1 - 0.09 * Float(index),
                                       accuracy: run == "plain" ? 0.34 : 0.95 - 0.03 * Float(index))
            result.run = run
            return result
        }
    }

    static let paths = PathResult(blocks: 6, distribution: [1, 6, 15, 20, 15, 6, 1].map { $0 / 64 },
                                  gradientPerPath: [2e-1, 9e-2, 3e-2, 8e-3, 2e-3, 4e-4, 6e-5],
                                  totalGradient: [0.05, 0.27, 0.38, 0.22, 0.07, 0.01, 0.0], effectiveRange: [1, 4])

    /// One chart of every kind.
    static var charts: [NamedChart] {
        ExperimentCharts.training(histories) + [ExperimentCharts.gradientNorms(histories), ExperimentCharts.singleLesion(singles),
                                                ExperimentCharts.kDeletion(deletions), ExperimentCharts.reorder(reorderings)]
            + ExperimentCharts.paths(paths)
    }
}
