import Foundation
import Kernels

/// The generated two-dimensional datasets: points in roughly [−1, 1]², each
/// with a class, drawn from a seed.
public enum PlanarShape: String, CaseIterable, Codable, Sendable {
    case spirals, moons, circles, xor, gauss, checkerboard

    /// The class names of this shape with `arms` spiral arms (or gaussian blobs).
    public func classNames(arms: Int) -> [String] {
        switch self {
        case .spirals: return (1...arms).map { "arm \($0)" }
        case .gauss: return (1...arms).map { "blob \($0)" }
        case .moons: return ["upper moon", "lower moon"]
        case .circles: return ["inner ring", "outer ring"]
        case .xor, .checkerboard: return ["even", "odd"]
        }
    }

    /// One point of class `label`, with gaussian noise of standard deviation `noise`.
    func point(label: Int, arms: Int, noise: Float, _ rng: inout SeededGenerator) -> (Float, Float) {
        let jitter = { (rng: inout SeededGenerator) in noise * rng.normal() }
        switch self {
        case .spirals:
            // Each arm turns once around the origin, the arms evenly rotated.
            // They start a little off the centre, where they would otherwise meet.
            let t = rng.uniform()
            let angle = 2 * Float.pi * (Float(label) / Float(arms) + t)
            let radius = 0.1 + 0.9 * t
            return (radius * cos(angle) + jitter(&rng), radius * sin(angle) + jitter(&rng))
        case .moons:
            let angle = Float.pi * rng.uniform()
            return label == 0
                ? (cos(angle) - 0.5 + jitter(&rng), sin(angle) - 0.25 + jitter(&rng))
                : (0.5 - cos(angle) + jitter(&rng), 0.25 - sin(angle) + jitter(&rng))
        case .circles:
            let angle = 2 * Float.pi * rng.uniform()
            let radius: Float = label == 0 ? 0.4 : 0.9
            return (radius * cos(angle) + jitter(&rng), radius * sin(angle) + jitter(&rng))
        case .gauss:
            let angle = 2 * Float.pi * Float(label) / Float(arms)
            return (0.6 * cos(angle) + (0.15 + noise) * rng.normal(), 0.6 * sin(angle) + (0.15 + noise) * rng.normal())
        case .xor, .checkerboard:
            let cells = self == .xor ? 2 : 4
            // Draw a cell of the right colour, then a point inside it.
            while true {
                let (cx, cy) = (rng.index(below: cells), rng.index(below: cells))
                guard (cx + cy) % 2 == label else { continue }
                let size = 2 / Float(cells)
                return (-1 + size * (Float(cx) + rng.uniform()) + jitter(&rng),
                        -1 + size * (Float(cy) + rng.uniform()) + jitter(&rng))
            }
        }
    }

    /// `samples` points, classes in equal numbers, split 80/10/10 into
    /// train, validation and test, all fixed by `seed`.
    public func generate(samples: Int, noise: Float, arms: Int = 3, seed: UInt64) -> Dataset {
        let names = classNames(arms: arms)
        var rng = SeededGenerator(seed: seed)
        var values: [Float] = []
        var labels: [Int] = []
        values.reserveCapacity(2 * samples)
        for index in 0..<samples {
            let label = index % names.count
            let (x, y) = point(label: label, arms: arms, noise: noise, &rng)
            values += [x, y]
            labels.append(label)
        }
        let all = LabeledSamples(storage: .floats(values), labels: labels, featureCount: 2)
        var order = Array(0..<samples)
        order.seededShuffle(using: &rng)
        let trainEnd = samples * 8 / 10, validationEnd = samples * 9 / 10
        return Dataset(name: rawValue, sampleShape: [2], classNames: names,
                       train: all.subset(Array(order[..<trainEnd])),
                       validation: all.subset(Array(order[trainEnd..<validationEnd])),
                       test: all.subset(Array(order[validationEnd...])))
    }
}
