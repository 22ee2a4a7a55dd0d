import Datasets
import Kernels
import Network

/// How far a live experiment has come.
public struct ExperimentProgress: Codable, Sendable, Equatable {
    public let name: String
    public let done: Int
    public let total: Int

    public init(name: String, done: Int, total: Int) {
        self.name = name
        self.done = done
        self.total = total
    }
}

/// An experiment started from a screen, done one unit of work (one
/// evaluation, or one path length) at a time, so that the engine can publish
/// progress and honour a cancel between units.
final class LiveExperiment {
    enum Kind: String {
        case sweep = "lesion sweep"
        case kCurve = "k-deletion curve"
        case paths = "path report"
    }

    let kind: Kind
    private let trainer: Trainer
    private let samples: LabeledSamples
    private let limit: Int
    private let batchSize: Int
    private let blocks: Int
    private let baseModes: [BlockMode]
    private var intact: Float?
    private var sweep: [Float] = []
    private let ks: [Int]
    private let repeats = 5
    private var kAccuracies: [[Float]] = []
    private var generator = SeededGenerator(seed: 7)
    private var probe: PathProbe?

    init(kind: Kind, trainer: Trainer, samples: LabeledSamples, baseModes: [BlockMode], limit: Int, batchSize: Int) {
        self.baseModes = baseModes
        self.kind = kind
        self.trainer = trainer
        self.samples = samples
        self.limit = limit
        self.batchSize = batchSize
        let n = trainer.network.blocks.count
        blocks = n
        // k = 0, 1, 2, 4, … and n: a curve over orders of magnitude.
        ks = Array(Set([0, n] + sequence(first: 1, next: { $0 * 2 <= n ? $0 * 2 : nil }))).sorted()
    }

    var progress: ExperimentProgress {
        ExperimentProgress(name: kind.rawValue, done: done, total: total)
    }

    private var total: Int {
        switch kind {
        case .sweep: return blocks + 1
        case .kCurve: return ks.count * repeats
        case .paths: return blocks + 1
        }
    }

    private var done: Int {
        switch kind {
        case .sweep: return (intact == nil ? 0 : 1) + sweep.count
        case .kCurve: return kAccuracies.reduce(0) { $0 + $1.count }
        case .paths: return probe?.perPath.count ?? 0
        }
    }

    var isComplete: Bool { done >= total }

    private func accuracy(deleting deleted: some Sequence<Int>) -> Float {
        var modes = baseModes
        for block in deleted { modes[block] = .deleted }
        return trainer.evaluate(samples, modes: modes, limit: limit, batchSize: batchSize).accuracy
    }

    /// Does one unit of work.
    func advance() {
        switch kind {
        case .sweep:
            if intact == nil { intact = accuracy(deleting: []) } else { sweep.append(accuracy(deleting: [sweep.count])) }
        case .kCurve:
            if kAccuracies.last?.count ?? repeats == repeats { kAccuracies.append([]) }
            let k = ks[kAccuracies.count - 1]
            var order = Array(0..<blocks)
            order.seededShuffle(using: &generator)
            kAccuracies[kAccuracies.count - 1].append(accuracy(deleting: order.prefix(k)))
        case .paths:
            if probe == nil { probe = trainer.pathProbe(batch: samples, batchSize: 128, seed: 11) }
            probe?.measureNextLength(repeats: 10)
        }
    }

    var sweepResult: SingleLesionResult? {
        guard kind == .sweep, isComplete, let intact else { return nil }
        return SingleLesionResult(mode: .deleted, intact: intact, accuracy: sweep)
    }

    var kCurveResult: [KDeletionResult]? {
        guard kind == .kCurve, isComplete else { return nil }
        return zip(ks, kAccuracies).map { k, values in
            let mean = values.reduce(0, +) / Float(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(values.count)
            return KDeletionResult(k: k, samples: values.count, mean: mean, std: variance.squareRoot())
        }
    }

    var pathResult: PathResult? {
        guard kind == .paths, isComplete else { return nil }
        return probe?.result
    }
}
