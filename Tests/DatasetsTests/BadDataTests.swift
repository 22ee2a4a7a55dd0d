import Datasets
import Foundation
import Testing
import TestSupport

/// An IDX file: magic, big-endian dimensions, bytes.
func idx(rank: Int, dimensions: [Int], bytes: [UInt8], magic: Int? = nil) -> [UInt8] {
    func bigEndian(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
    return bigEndian(magic ?? (0x0800 | rank)) + dimensions.flatMap(bigEndian) + bytes
}

/// gzip-compresses `bytes` with the system's gzip.
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
    process.arguments = ["-c"]
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(bytes))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return [UInt8](data)
}

/// Writes the four files of a small MNIST-format set (4 training and 2 test
/// images of 28×28), letting a test replace any one of them.
func writeMNIST(in directory: URL, replacing: [String: [UInt8]] = [:], compress: Bool = true) throws {
    let files: [String: [UInt8]] = [
        "train-images-idx3-ubyte": idx(rank: 3, dimensions: [4, 28, 28], bytes: (0..<4 * 784).map { UInt8($0 % 251) }),
        "train-labels-idx1-ubyte": idx(rank: 1, dimensions: [4], bytes: [0, 1, 2, 9]),
        "t10k-images-idx3-ubyte": idx(rank: 3, dimensions: [2, 28, 28], bytes: (0..<2 * 784).map { UInt8($0 % 7) }),
        "t10k-labels-idx1-ubyte": idx(rank: 1, dimensions: [2], bytes: [3, 4]),
    ]
    for (name, content) in files {
        let bytes = replacing[name] ?? content
        let url = directory.appendingPathComponent(compress ? name + ".gz" : name)
        try Data(compress && !bytes.isEmpty ? try gzip(bytes) : bytes).write(to: url)
    }
}

/// The message of the error `body` throws.
func dataErrorMessage(_ body: () throws -> Dataset) -> String {
    do {
        _ = try body()
        return "no error"
    } catch {
        return "\(error)"
    }
}

struct IDXReaderTests {
    @Test(arguments: [true, false])
    func readsAWellFormedSetCompressedOrPlain(compress: Bool) throws {
        try withTemporaryDirectory { directory in
            try writeMNIST(in: directory, compress: compress)
            let set = try ImageDatasets.mnist(directory: directory)
            #expect(set.sampleShape == [1, 28, 28])
            #expect(set.classNames[9] == "digit 9")
            #expect(set.train.count + set.validation.count == 4)
            #expect(set.test.labels == [3, 4])
            #expect(Set(set.train.labels + set.validation.labels) == [0, 1, 2, 9])
        }
    }

    /// The split moves the training images to the front of their own array
    /// and the validation images behind them: each image must land whole,
    /// once, in order, beside its own label, and both sets read that array.
    @Test func splitKeepsEveryImageWholeAndInOrder() throws {
        try withTemporaryDirectory { directory in
            let count = 36
            try writeMNIST(in: directory, replacing: [
                "train-images-idx3-ubyte": idx(rank: 3, dimensions: [count, 28, 28],
                                               bytes: (0..<count).flatMap { [UInt8](repeating: UInt8($0), count: 784) }),
                "train-labels-idx1-ubyte": idx(rank: 1, dimensions: [count], bytes: (0..<count).map { UInt8($0 % 10) }),
            ])
            let set = try ImageDatasets.mnist(directory: directory)
            func images(_ samples: LabeledSamples) -> [Int] {
                guard case .bytes(let bytes, _, _) = samples.storage else { return [] }
                #expect(bytes.count == count * 784)
                return (samples.firstSample..<samples.firstSample + samples.count).map { i in
                    let image = bytes[i * 784..<(i + 1) * 784]
                    #expect(Set(image).count == 1, "image \(i) is not whole")
                    #expect(samples.labels[i - samples.firstSample] == Int(image.first!) % 10, "image \(i) lost its label")
                    return Int(image.first!)
                }
            }
            let (train, validation) = (images(set.train), images(set.validation))
            #expect(validation.count == count / 12)
            #expect(set.train.firstSample == 0 && set.validation.firstSample == set.train.count)
            #expect(train == train.sorted() && validation == validation.sorted())
            #expect((train + validation).sorted() == Array(0..<count))
        }
    }

    @Test func fashionClassNamesAreTheOriginalOnes() {
        #expect(ImageDatasets.fashionClassNames.first == "T-shirt/top")
        #expect(ImageDatasets.fashionClassNames.last == "Ankle boot")
    }

    @Test func missingDirectorySaysHowToGetTheData() {
        let message = dataErrorMessage { try ImageDatasets.fashionMNIST(directory: URL(fileURLWithPath: "/nonexistent/fm")) }
        #expect(message.contains("/nonexistent/fm"))
        #expect(message.contains("apt-get install dataset-fashion-mnist"))
        #expect(message.contains("--data DIR"))
    }

    @Test func wrongMagicNumber() throws {
        try withTemporaryDirectory { directory in
            try writeMNIST(in: directory, replacing: ["train-labels-idx1-ubyte": idx(rank: 1, dimensions: [4], bytes: [0, 1, 2, 3], magic: 0x0803)])
            let message = dataErrorMessage { try ImageDatasets.mnist(directory: directory) }
            #expect(message.contains("train-labels-idx1-ubyte.gz"))
            #expect(message.contains("wrong magic number 0x00000803"))
        }
    }

    @Test func truncatedGzipStream() throws {
        try withTemporaryDirectory { directory in
            try writeMNIST(in: directory)
            let url = directory.appendingPathComponent("train-images-idx3-ubyte.gz")
            let whole = try Data(contentsOf: url)
            try whole.prefix(whole.count / 2).write(to: url)
            let message = dataErrorMessage { try ImageDatasets.mnist(directory: directory) }
            #expect(message.contains("train-images-idx3-ubyte.gz"))
            #expect(message.contains("truncated gzip stream"))
        }
    }

    @Test func imageAndLabelCountsDiffer() throws {
        try withTemporaryDirectory { directory in
            try writeMNIST(in: directory, replacing: ["train-labels-idx1-ubyte": idx(rank: 1, dimensions: [3], bytes: [0, 1, 2])])
            let message = dataErrorMessage { try ImageDatasets.mnist(directory: directory) }
            #expect(message.contains("holds 4 images but train-labels-idx1-ubyte.gz holds 3 labels"))
        }
    }

    @Test func wrongImageDimensions() throws {
        try withTemporaryDirectory { directory in
            try writeMNIST(in: directory, replacing: ["t10k-images-idx3-ubyte": idx(rank: 3, dimensions: [2, 32, 32], bytes: [UInt8](repeating: 0, count: 2048))])
            let message = dataErrorMessage { try ImageDatasets.mnist(directory: directory) }
            #expect(message.contains("t10k-images-idx3-ubyte.gz holds 32×32 images; expected 28×28"))
        }
    }

    @Test func headerThatDisagreesWithTheData() throws {
        try withTemporaryDirectory { directory in
            try writeMNIST(in: directory, replacing: ["t10k-labels-idx1-ubyte": idx(rank: 1, dimensions: [5], bytes: [1, 2])])
            let message = dataErrorMessage { try ImageDatasets.mnist(directory: directory) }
            #expect(message.contains("holds 2 bytes of data but its header [5] needs 5"))
        }
    }

    @Test func labelOutOfRange() throws {
        try withTemporaryDirectory { directory in
            try writeMNIST(in: directory, replacing: ["train-labels-idx1-ubyte": idx(rank: 1, dimensions: [4], bytes: [0, 1, 12, 3])])
            let message = dataErrorMessage { try ImageDatasets.mnist(directory: directory) }
            #expect(message.contains("has label 12 at index 2; labels must be below 10"))
        }
    }

    @Test func emptyFile() throws {
        try withTemporaryDirectory { directory in
            try writeMNIST(in: directory, replacing: ["t10k-labels-idx1-ubyte": []])
            let message = dataErrorMessage { try ImageDatasets.mnist(directory: directory) }
            #expect(message.contains("t10k-labels-idx1-ubyte.gz is empty"))
        }
    }
}

struct CIFARReaderTests {
    func record(_ label: UInt8) -> [UInt8] { [label] + [UInt8](repeating: label, count: 3072) }

    func writeCIFAR(in directory: URL, testBatch: [UInt8]? = nil) throws {
        for index in 1...5 {
            try Data(record(UInt8(index)) + record(0)).write(to: directory.appendingPathComponent("data_batch_\(index).bin"))
        }
        try Data(testBatch ?? record(9)).write(to: directory.appendingPathComponent("test_batch.bin"))
    }

    @Test func readsBinaryBatches() throws {
        try withTemporaryDirectory { directory in
            try writeCIFAR(in: directory)
            let set = try ImageDatasets.cifar10(directory: directory)
            #expect(set.sampleShape == [3, 32, 32])
            #expect(set.train.count + set.validation.count == 10)
            #expect(set.test.labels == [9])
            #expect(set.classNames[9] == "truck")
        }
    }

    @Test func partialRecordIsRefused() throws {
        try withTemporaryDirectory { directory in
            try writeCIFAR(in: directory, testBatch: record(1) + [1, 2, 3])
            let message = dataErrorMessage { try ImageDatasets.cifar10(directory: directory) }
            #expect(message.contains("test_batch.bin is 3076 bytes, not a whole number of 3073-byte CIFAR-10 records"))
        }
    }

    @Test func labelOutOfRangeIsRefused() throws {
        try withTemporaryDirectory { directory in
            try writeCIFAR(in: directory, testBatch: record(10))
            let message = dataErrorMessage { try ImageDatasets.cifar10(directory: directory) }
            #expect(message.contains("has label 10 in record 0"))
        }
    }

    @Test func missingDirectoryIsNamed() {
        let message = dataErrorMessage { try ImageDatasets.cifar10(directory: URL(fileURLWithPath: "/nope/cifar")) }
        #expect(message.contains("/nope/cifar: no such directory"))
    }
}

struct ShapesTests {
    @Test func shapesAreSeededBalancedAndImages() {
        let a = ShapesDataset.generate(samples: 600, noise: 0.1, seed: 4)
        let b = ShapesDataset.generate(samples: 600, noise: 0.1, seed: 4)
        #expect(a.sampleShape == [1, 28, 28])
        #expect(a.classCount >= 6)
        #expect(a.train.labels == b.train.labels)
        guard case .bytes(let pa, _, _) = a.train.storage, case .bytes(let pb, _, _) = b.train.storage else {
            Issue.record("shapes should be stored as bytes")
            return
        }
        #expect(pa == pb)
        let counts = Dictionary(grouping: a.train.labels + a.validation.labels + a.test.labels, by: { $0 }).mapValues(\.count)
        #expect(counts.values.allSatisfy { $0 == 100 })
    }

    @Test func everyShapeHasInk() {
        let set = ShapesDataset.generate(samples: 60, noise: 0, seed: 1)
        guard case .bytes(let pixels, _, _) = set.train.storage else { return }
        for index in 0..<set.train.count {
            let image = pixels[index * 784..<(index + 1) * 784]
            #expect(image.filter { $0 > 100 }.count >= 10, "class \(set.train.labels[index]) drew almost nothing")
        }
    }
}

struct FashionMNISTPackageTests {
    /// `.ci/run` installs Debian's `dataset-fashion-mnist`; this reads it for real.
    @Test func readsTheDebianPackage() throws {
        let set = try ImageDatasets.fashionMNIST(directory: nil)
        #expect(set.train.count + set.validation.count == 60_000)
        #expect(set.validation.count == 5000)
        #expect(set.test.count == 10_000)
        #expect(set.classNames[0] == "T-shirt/top")
        let counts = Dictionary(grouping: set.test.labels, by: { $0 }).mapValues(\.count)
        #expect(counts.count == 10 && counts.values.allSatisfy { $0 == 1000 })
        guard case .bytes(let pixels, let mean, let std) = set.train.storage else {
            Issue.record("images should be held as bytes")
            return
        }
        #expect(pixels.count == 60_000 * 784, "the validation images share the training images' array")
        #expect(set.validation.firstSample == set.train.count)
        #expect(abs(mean - 0.286) < 0.01 && abs(std - 0.353) < 0.01)
    }
}

/// A gzip bomb, or a trailer that lies about the size, costs an error, not the memory.
struct GzipLimitTests {
    @Test func inflatingPastTheLimitIsRefused() throws {
        try withTemporaryDirectory { directory in
            let bomb = directory.appendingPathComponent("bomb.gz")
            let make = Process()
            make.executableURL = URL(fileURLWithPath: "/bin/sh")
            make.arguments = ["-c", "head -c \(maximumInflatedBytes + 1) /dev/zero | gzip -1 > '\(bomb.path)'"]
            try make.run()
            make.waitUntilExit()
            #expect(throws: DataError.self) { try readMaybeCompressed(bomb) }
            do {
                _ = try readMaybeCompressed(bomb)
            } catch {
                #expect("\(error)".contains("inflates to more than 64 MB"))
            }
        }
    }
}
