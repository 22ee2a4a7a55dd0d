import Datasets
import Kernels
import Network
import RunProtocol

/// An experiment started by a key, done one unit of work (one evaluation,
/// or one path length) at a time, so that the engine can publish progress
/// and honour a cancel between units. It runs the very evaluations of
/// `LesionLab` and `PathProbe` that `reslab lesion` and `reslab paths` run,
/// with the same samples, seeds and repeats, so both give the same numbers.
final class LiveExperiment {
    enum Kind: String {
        case sweep = "lesion sweep"
        case kCurve = "k-deletion curve"
        case paths = "path report"
    }

    let kind: Kind
    private let lab: LesionLab
    private let trainer: Trainer
    private let pathSamples: LabeledSamples
    /// The modes to evaluate (sweeps and k-deletions), in order, and their accuracies so far.
    private let jobs: [(k: Int, modes: [BlockMode])]
    private var accuracies: [Float] = []
    private var probe: PathProbe?

    /// `lab` evaluates lesions; paths start from a batch of `pathSamples`.
    init(kind: Kind, trainer: Trainer, lab: LesionLab, pathSamples: LabeledSamples) {
        self.kind = kind
        self.trainer = trainer
        self.lab = lab
        self.pathSamples = pathSamples
        let blocks = trainer.network.blocks.count
        switch kind {
        case .sweep: jobs = lab.singleSweepModes(mode: .deleted).map { (0, $0) }
        case .kCurve:
            jobs = lab.kDeletionModes(ExperimentDefaults.ks(blocks: blocks), repeats: ExperimentDefaults.repeats,
                                      seed: ExperimentDefaults.seed)
        case .paths: jobs = []
        }
    }

    var progress: ExperimentProgress {
        ExperimentProgress(name: kind.rawValue, done: done, total: total)
    }

    private var total: Int { kind == .paths ? trainer.network.blocks.count + 1 : jobs.count }

    private var done: Int { kind == .paths ? probe?.perPath.count ?? 0 : accuracies.count }

    var isComplete: Bool { done >= total }

    /// Does one unit of work.
    func advance() {
        switch kind {
        case .sweep, .kCurve:
            accuracies.append(lab.accuracy(jobs[accuracies.count].modes))
        case .paths:
            if probe == nil {
                probe = trainer.pathProbe(batch: pathSamples, batchSize: ExperimentDefaults.pathBatch, seed: ExperimentDefaults.seed)
            }
            probe?.measureNextLength(repeats: ExperimentDefaults.pathRepeats)
        }
    }

    var sweepResult: SingleLesionResult? {
        guard kind == .sweep, isComplete else { return nil }
        return lab.singleResult(mode: .deleted, accuracies: accuracies)
    }

    var kCurveResult: [KDeletionResult]? {
        guard kind == .kCurve, isComplete else { return nil }
        return LesionLab.kDeletionResults(jobs, accuracies: accuracies)
    }

    var pathResult: PathResult? {
        guard kind == .paths, isComplete else { return nil }
        return probe?.result
    }
}
