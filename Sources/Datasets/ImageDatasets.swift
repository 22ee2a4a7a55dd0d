import Foundation
import Kernels

/// Readers for the image datasets that live in files: MNIST and
/// Fashion-MNIST (IDX) and CIFAR-10 (binary batches).
public enum ImageDatasets {
    /// Where Debian's `dataset-fashion-mnist` package puts the files.
    public static let fashionMNISTDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    public static let fashionClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    public static let digitClassNames = (0...9).map { "digit \($0)" }
    public static let cifarClassNames = ["airplane", "automobile", "bird", "cat", "deer",
                                         "dog", "frog", "horse", "ship", "truck"]

    /// Fashion-MNIST from `directory` (by default the Debian package's).
    public static func fashionMNIST(directory: URL?) throws -> Dataset {
        try idx(name: "fashion-mnist", directory: directory ?? fashionMNISTDirectory, classNames: fashionClassNames,
                hint: "install it with `apt-get install dataset-fashion-mnist`, or pass --data DIR")
    }

    /// MNIST in the same format, from `directory`.
    public static func mnist(directory: URL?) throws -> Dataset {
        guard let directory else {
            throw DataError(message: "mnist needs --data DIR: a directory with train-images-idx3-ubyte(.gz) and the other three IDX files")
        }
        return try idx(name: "mnist", directory: directory, classNames: digitClassNames,
                       hint: "pass --data DIR with the four IDX files")
    }

    private static func idx(name: String, directory: URL, classNames: [String], hint: String) throws -> Dataset {
        try requireDirectory(directory, name: name, hint: hint)
        func pair(_ prefix: String) throws -> (pixels: [UInt8], labels: [Int]) {
            try readIDXPair(images: try locate("\(prefix)-images-idx3-ubyte", in: directory, hint: hint),
                            labels: try locate("\(prefix)-labels-idx1-ubyte", in: directory, hint: hint),
                            height: 28, width: 28, classes: classNames.count)
        }
        var train = try pair("train")
        return assemble(name: name, sampleShape: [1, 28, 28], classNames: classNames, train: &train, test: try pair("t10k"))
    }

    /// CIFAR-10 binary batches (`data_batch_1.bin` … `data_batch_5.bin`,
    /// `test_batch.bin`) from `directory`.
    public static func cifar10(directory: URL?) throws -> Dataset {
        let hint = "pass --data DIR with data_batch_1.bin … data_batch_5.bin and test_batch.bin"
        guard let directory else { throw DataError(message: "cifar10 needs --data DIR; \(hint)") }
        try requireDirectory(directory, name: "cifar10", hint: hint)
        func batches(_ names: [String]) throws -> (pixels: [UInt8], labels: [Int]) {
            var pixels: [UInt8] = [], labels: [Int] = []
            for name in names {
                let url = try locate(name, in: directory, hint: hint)
                let (p, l) = try readCIFARBatch(try readMaybeCompressed(url), file: url)
                pixels += p
                labels += l
            }
            return (pixels, labels)
        }
        var train = try batches((1...5).map { "data_batch_\($0).bin" })
        return assemble(name: "cifar10", sampleShape: [3, 32, 32], classNames: cifarClassNames, train: &train,
                        test: try batches(["test_batch.bin"]))
    }

    /// Splits a fixed 1/12 of the training images off as the validation set
    /// (the same images whatever the run's seed) and normalises with the
    /// training images' mean and standard deviation. The training images
    /// are moved to the front of their own array and the validation images
    /// behind them, and both sets read that one array: a copy of either
    /// would keep its megabytes resident twice.
    static func assemble(name: String, sampleShape: [Int], classNames: [String],
                         train: inout (pixels: [UInt8], labels: [Int]),
                         test: (pixels: [UInt8], labels: [Int])) -> Dataset {
        let (mean, std) = byteStatistics(train.pixels)
        let features = sampleShape.reduce(1, *)
        var order = Array(0..<train.labels.count)
        var generator = SeededGenerator(seed: 2016)
        order.seededShuffle(using: &generator)
        let kept = order[(order.count / 12)...].sorted()
        train.pixels.moveRunsToFront(kept, length: features)
        train.labels.moveRunsToFront(kept, length: 1)
        let pixels = LabeledSamples.Storage.bytes(train.pixels, mean: mean, std: std)
        return Dataset(name: name, sampleShape: sampleShape, classNames: classNames,
                       train: LabeledSamples(storage: pixels, labels: Array(train.labels[..<kept.count]),
                                             featureCount: features),
                       validation: LabeledSamples(storage: pixels, labels: Array(train.labels[kept.count...]),
                                                  featureCount: features, firstSample: kept.count),
                       test: LabeledSamples(storage: .bytes(test.pixels, mean: mean, std: std), labels: test.labels,
                                            featureCount: features))
    }

    /// Mean and standard deviation of byte/255 over all bytes.
    static func byteStatistics(_ bytes: [UInt8]) -> (Float, Float) {
        var histogram = [Int](repeating: 0, count: 256)
        for b in bytes { histogram[Int(b)] += 1 }
        let n = Double(max(bytes.count, 1))
        let mean = histogram.enumerated().reduce(0.0) { $0 + Double($1.offset) / 255 * Double($1.element) } / n
        let variance = histogram.enumerated().reduce(0.0) {
            let d = Double($1.offset) / 255 - mean
            return $0 + d * d * Double($1.element)
        } / n
        return (Float(mean), Float(max(variance.squareRoot(), 1e-3)))
    }

    private static func requireDirectory(_ directory: URL, name: String, hint: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataError(message: "\(directory.path): no such directory for \(name); \(hint)")
        }
    }

    /// `name.gz` or `name` in `directory`.
    private static func locate(_ name: String, in directory: URL, hint: String) throws -> URL {
        for candidate in [name + ".gz", name] {
            let url = directory.appendingPathComponent(candidate)
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        throw DataError(message: "\(directory.appendingPathComponent(name).path)(.gz) is missing; \(hint)")
    }
}

/// Parses one CIFAR-10 binary batch: records of one label byte and
/// 3×32×32 pixel bytes (channel-major), checking the size and the labels.
public func readCIFARBatch(_ data: [UInt8], file: URL) throws -> (pixels: [UInt8], labels: [Int]) {
    let record = 1 + 3 * 32 * 32
    guard !data.isEmpty else { throw DataError(file, "is empty") }
    guard data.count % record == 0 else {
        throw DataError(file, "is \(data.count) bytes, not a whole number of \(record)-byte CIFAR-10 records")
    }
    var pixels: [UInt8] = []
    var labels: [Int] = []
    pixels.reserveCapacity(data.count / record * (record - 1))
    for start in stride(from: 0, to: data.count, by: record) {
        let label = Int(data[start])
        guard label < 10 else { throw DataError(file, "has label \(label) in record \(start / record); labels must be below 10") }
        labels.append(label)
        pixels += data[start + 1..<start + record]
    }
    return (pixels, labels)
}
