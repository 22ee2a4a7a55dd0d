import Datasets
import Testing

struct PlanarDatasetTests {
    @Test(arguments: PlanarShape.allCases)
    func generatedSetsAreSeededBalancedAndSplit(shape: PlanarShape) {
        let a = shape.generate(samples: 1000, noise: 0.05, seed: 7)
        let b = shape.generate(samples: 1000, noise: 0.05, seed: 7)
        let c = shape.generate(samples: 1000, noise: 0.05, seed: 8)
        #expect(a.train.count == 800 && a.validation.count == 100 && a.test.count == 100)
        #expect(a.train.labels == b.train.labels)
        #expect(points(a.train) == points(b.train))
        #expect(points(a.train) != points(c.train))
        let counts = Dictionary(grouping: a.train.labels + a.validation.labels + a.test.labels, by: { $0 }).mapValues(\.count)
        #expect(counts.count == a.classCount)
        #expect(counts.values.allSatisfy { abs($0 - 1000 / a.classCount) <= 1 })
        #expect(points(a.train).allSatisfy { abs($0) < 2 })
    }

    @Test func spiralArmsAreTheRequestedNumber() {
        let five = PlanarShape.spirals.generate(samples: 500, noise: 0, arms: 5, seed: 1)
        #expect(five.classNames == ["arm 1", "arm 2", "arm 3", "arm 4", "arm 5"])
        #expect(Set(five.train.labels) == Set(0..<5))
    }

    @Test func xorLabelsMatchTheQuadrants() {
        let set = PlanarShape.xor.generate(samples: 400, noise: 0, seed: 3)
        let xy = points(set.train)
        for (index, label) in set.train.labels.enumerated() {
            let (x, y) = (xy[2 * index], xy[2 * index + 1])
            #expect(((x > 0) != (y > 0) ? 1 : 0) == label)
        }
    }

    private func points(_ samples: LabeledSamples) -> [Float] {
        var features: [Float] = [], labels: [Int] = []
        samples.gather(0..<samples.count, features: &features, labels: &labels)
        return features
    }
}

struct BatchSamplerTests {
    @Test func everySampleOncePerEpochInFreshOrder() {
        var sampler = BatchSampler(count: 100, batchSize: 10, seed: 1)
        let first = (0..<10).flatMap { _ in sampler.next() }
        #expect(sampler.epoch == 0)
        let second = (0..<10).flatMap { _ in sampler.next() }
        #expect(sampler.epoch == 1)
        #expect(first.sorted() == Array(0..<100))
        #expect(second.sorted() == Array(0..<100))
        #expect(first != second)
    }

    @Test func partialLastBatchIsDropped() {
        var sampler = BatchSampler(count: 25, batchSize: 10, seed: 2)
        #expect(sampler.batchesPerEpoch == 2)
        _ = sampler.next(); _ = sampler.next()
        #expect(sampler.next().count == 10)
        #expect(sampler.epoch == 1)
    }

    @Test func byteStorageIsNormalisedWhenGathered() {
        let samples = LabeledSamples(storage: .bytes([0, 255, 51, 102], mean: 0.5, std: 0.5), labels: [1, 0], featureCount: 2)
        var features: [Float] = [], labels: [Int] = []
        samples.gather([1, 0], features: &features, labels: &labels)
        #expect(labels == [0, 1])
        #expect(zip(features, [-0.6, -0.2, -1, 1]).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    /// A set that starts further into a shared array reads its own samples,
    /// whether gathered or copied out as a subset.
    @Test func aSetFromLaterInItsStorageReadsItsOwnSamples() {
        let storage = LabeledSamples.Storage.floats([0, 1, 10, 11, 20, 21, 30, 31])
        let later = LabeledSamples(storage: storage, labels: [2, 3], featureCount: 2, firstSample: 2)
        var features: [Float] = [], labels: [Int] = []
        later.gather([1, 0], features: &features, labels: &labels)
        #expect(features == [30, 31, 20, 21] && labels == [3, 2])
        let picked = later.subset([1])
        picked.gather([0], features: &features, labels: &labels)
        #expect(picked.firstSample == 0 && features == [30, 31] && labels == [3])
    }

    /// A set that would reach past its storage, or start before it, is
    /// refused at once with a sentence, not read out of bounds later.
    @Test func aSetPastItsStorageIsRefused() async {
        let storage = LabeledSamples.Storage.floats([0, 1, 10, 11])
        await #expect(processExitsWith: .failure) {
            _ = LabeledSamples(storage: .floats([0, 1, 10, 11]), labels: [0, 1], featureCount: 2, firstSample: 1)
        }
        await #expect(processExitsWith: .failure) {
            _ = LabeledSamples(storage: .floats([0, 1]), labels: [0], featureCount: 2, firstSample: -1)
        }
        await #expect(processExitsWith: .failure) {
            _ = LabeledSamples(storage: .floats([0, 1]), labels: [0], featureCount: 2, firstSample: .max)
        }
        #expect(LabeledSamples(storage: storage, labels: [1], featureCount: 2, firstSample: 1).count == 1)
    }
}
