import Kernels

/// A labelled classification dataset, already split.
public struct Dataset: Sendable {
    /// The name used on the command line (`spirals`, `fashion-mnist`, …).
    public let name: String
    /// `[features]` for points, `[channels, height, width]` for images.
    public let sampleShape: [Int]
    /// One human-readable name per class, in label order.
    public let classNames: [String]
    public let train: LabeledSamples
    public let validation: LabeledSamples
    public let test: LabeledSamples

    public init(name: String, sampleShape: [Int], classNames: [String],
                train: LabeledSamples, validation: LabeledSamples, test: LabeledSamples) {
        self.name = name
        self.sampleShape = sampleShape
        self.classNames = classNames
        self.train = train
        self.validation = validation
        self.test = test
    }

    public var classCount: Int { classNames.count }
    public var featureCount: Int { sampleShape.reduce(1, *) }
    /// Two-dimensional points, which can be drawn as a decision map.
    public var isPlanar: Bool { sampleShape == [2] }
}

/// Samples with integer labels. Points are stored as floats; images as bytes
/// (a quarter of the memory) and normalised only when a batch is gathered.
/// The set is the `count` samples from `firstSample` on in its storage, so
/// that two sets can share one array (the training and validation images).
public struct LabeledSamples: Sendable {
    /// How feature values are kept.
    public enum Storage: Sendable {
        case floats([Float])
        /// Raw bytes, mapped to `(byte / 255 − mean) / std` on the way out.
        case bytes([UInt8], mean: Float, std: Float)
    }

    public let storage: Storage
    public let labels: [Int]
    public let featureCount: Int
    /// Where the set's samples start in `storage`, in samples.
    public let firstSample: Int

    public init(storage: Storage, labels: [Int], featureCount: Int, firstSample: Int = 0) {
        let stored: Int
        switch storage {
        case .floats(let values): stored = values.count
        case .bytes(let bytes, _, _): stored = bytes.count
        }
        let needed = checkedSum([firstSample, labels.count]).flatMap { checkedProduct([$0, featureCount], atMost: stored) }
        precondition(needed != nil,
                     "\(labels.count) samples of \(featureCount) from sample \(firstSample) do not fit in \(stored) stored values")
        self.storage = storage
        self.labels = labels
        self.featureCount = featureCount
        self.firstSample = firstSample
    }

    public var count: Int { labels.count }

    /// Copies the samples at `indices` into `features` (`[indices.count, featureCount]`)
    /// and their labels into `labels`, reusing both arrays' storage.
    /// Inlinable, so that it is specialised for the caller's collection:
    /// unspecialised, iterating `indices` allocated memory for every index.
    @inlinable
    public func gather<C: Collection>(_ indices: C, features: inout [Float], labels: inout [Int]) where C.Element == Int {
        let count = indices.count * featureCount
        if features.count > count {
            features.removeLast(features.count - count)
        } else {
            features.append(contentsOf: repeatElement(0, count: count - features.count))
        }
        labels.removeAll(keepingCapacity: true)
        features.withUnsafeMutableBufferPointer { out in
            for (row, index) in indices.enumerated() {
                let (from, to) = ((firstSample + index) * featureCount, row * featureCount)
                switch storage {
                case .floats(let values):
                    for j in 0..<featureCount { out[to + j] = values[from + j] }
                case .bytes(let bytes, let mean, let std):
                    let scale = 1 / (255 * std), shift = -mean / std
                    for j in 0..<featureCount { out[to + j] = Float(bytes[from + j]) * scale + shift }
                }
                labels.append(self.labels[index])
            }
        }
    }

    /// The samples at `indices`, as a new set (used to split one pool of samples).
    public func subset(_ indices: [Int]) -> LabeledSamples {
        let f = featureCount
        let runs = indices.map { firstSample + $0 }
        let picked: Storage
        switch storage {
        case .floats(let values):
            picked = .floats(values.runs(at: runs, length: f))
        case .bytes(let bytes, let mean, let std):
            picked = .bytes(bytes.runs(at: runs, length: f), mean: mean, std: std)
        }
        return LabeledSamples(storage: picked, labels: indices.map { labels[$0] }, featureCount: f)
    }
}

extension Array {
    /// The runs of `length` elements that start at `length·r` for each `r`
    /// in `runs`, one after another, in an array of exactly their size
    /// (`flatMap` would grow it by doubling, up to twice that).
    func runs(at runs: [Int], length: Int) -> [Element] {
        var picked: [Element] = []
        picked.reserveCapacity(runs.count * length)
        for r in runs { picked.append(contentsOf: self[r * length..<(r + 1) * length]) }
        return picked
    }

    /// Moves the runs of `length` elements that start at `length·r` for each
    /// `r` in `runs` (ascending) to the front, in that order, and the other
    /// runs behind them, in their order, in the array's own storage: only
    /// the runs that go behind are copied out on the way.
    mutating func moveRunsToFront(_ runs: [Int], length: Int) {
        let total = count / Swift.max(length, 1)
        precondition(zip(runs, runs.dropFirst()).allSatisfy { $0 < $1 } && (runs.last ?? -1) < total,
                     "runs must ascend within the array")
        var chosen = [Bool](repeating: false, count: total)
        for r in runs { chosen[r] = true }
        let behind = self.runs(at: (0..<total).filter { !chosen[$0] }, length: length)
        withUnsafeMutableBufferPointer { elements in
            for (target, source) in runs.enumerated() where target != source {
                // The source is never before the target, so copying forward
                // reads each element before anything overwrites it.
                for offset in 0..<length { elements[target * length + offset] = elements[source * length + offset] }
            }
        }
        replaceSubrange(runs.count * length..<runs.count * length + behind.count, with: behind)
    }
}
