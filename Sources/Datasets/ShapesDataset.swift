import Foundation
import Kernels

/// `shapes`: procedural 1×28×28 images of six kinds of figure, each drawn
/// at a random position, size and stroke thickness over background noise.
/// No files needed; the seed fixes every image.
public enum ShapesDataset {
    public static let classNames = ["circle", "square", "triangle", "cross", "horizontal bar", "vertical bar"]
    static let side = 28

    /// `samples` images, classes in equal numbers, split 80/10/10.
    public static func generate(samples: Int, noise: Float, seed: UInt64) -> Dataset {
        var rng = SeededGenerator(seed: seed)
        var pixels: [UInt8] = []
        pixels.reserveCapacity(samples * side * side)
        var labels: [Int] = []
        for index in 0..<samples {
            let label = index % classNames.count
            pixels += draw(label, noise: noise, &rng)
            labels.append(label)
        }
        let (mean, std) = ImageDatasets.byteStatistics(pixels)
        let all = LabeledSamples(storage: .bytes(pixels, mean: mean, std: std), labels: labels, featureCount: side * side)
        var order = Array(0..<samples)
        order.seededShuffle(using: &rng)
        let trainEnd = samples * 8 / 10, validationEnd = samples * 9 / 10
        return Dataset(name: "shapes", sampleShape: [1, side, side], classNames: classNames,
                       train: all.subset(Array(order[..<trainEnd])),
                       validation: all.subset(Array(order[trainEnd..<validationEnd])),
                       test: all.subset(Array(order[validationEnd...])))
    }

    /// One image of class `label`: ink where `inside(x, y)` holds, plus noise.
    static func draw(_ label: Int, noise: Float, _ rng: inout SeededGenerator) -> [UInt8] {
        let size = Float(6 + rng.index(below: 6))                 // half-extent, 6…11 pixels
        let thickness = Float(1 + rng.index(below: 3))            // stroke, 1…3 pixels
        let margin = size + 1
        let cx = rng.uniform(in: margin...(Float(side) - margin)), cy = rng.uniform(in: margin...(Float(side) - margin))
        let ink = 0.6 + 0.4 * rng.uniform()
        func inside(_ x: Float, _ y: Float) -> Bool {
            let (dx, dy) = (x - cx, y - cy)
            switch label {
            case 0: // circle outline
                return abs((dx * dx + dy * dy).squareRoot() - size) <= thickness / 2 + 0.5
            case 1: // square outline
                let edge = max(abs(dx), abs(dy))
                return edge <= size && edge >= size - thickness
            case 2: // filled triangle, apex up
                let top = -size, bottom = size
                guard dy >= top && dy <= bottom else { return false }
                return abs(dx) <= (dy - top) / (bottom - top) * size
            case 3: // cross
                return (abs(dx) <= thickness / 2 + 0.5 && abs(dy) <= size) || (abs(dy) <= thickness / 2 + 0.5 && abs(dx) <= size)
            case 4: // horizontal bar
                return abs(dy) <= thickness / 2 + 0.5 && abs(dx) <= size
            default: // vertical bar
                return abs(dx) <= thickness / 2 + 0.5 && abs(dy) <= size
            }
        }
        var image = [UInt8](repeating: 0, count: side * side)
        for y in 0..<side {
            for x in 0..<side {
                var value = inside(Float(x) + 0.5, Float(y) + 0.5) ? ink : 0
                value += noise * rng.normal()
                image[y * side + x] = UInt8(max(0, min(255, value * 255)))
            }
        }
        return image
    }
}
