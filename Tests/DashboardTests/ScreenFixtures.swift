import Dashboard
import Foundation
import RunProtocol

/// Fixed, made-up runs of every lesson, built as the engine would publish
/// them, for whole-screen tests. Numbers follow smooth formulas, so the
/// screens are the same on every machine.
enum ScreenFixtures {
    /// Every lesson, and the default run (no preset).
    static let names = ["default", "vanishing", "degradation", "lesion", "paths"]

    static func model(_ name: String) -> DashboardModel {
        switch name {
        case "vanishing": return vanishing()
        case "degradation": return twinRun(preset: .degradation, depth: 32, activation: "relu", norm: "batch", finished: false)
        case "lesion": return lesion()
        case "paths": return paths()
        default: return defaultRun()
        }
    }

    static func snapshot(step: Int, depth: Int, dataset: String = "spirals", activation: String = "relu",
                         norm: String = "batch", run: String? = nil, modes: BlockMode = .residual) -> Snapshot {
        var s = Snapshot()
        s.run = run
        s.dataset = dataset
        s.model = "dense"
        s.depth = depth
        s.width = 32
        s.activation = activation
        s.norm = norm
        s.classes = dataset == "moons" ? 2 : 3
        s.title = "\(dataset) · dense \(depth)×32"
        s.step = step
        s.totalSteps = 2000
        s.epoch = Double(step) / 18
        s.learningRate = 0.1 * Float(step + 1) / 2001
        s.samplesPerSecond = 23_456
        let t = Double(step) / 2000
        s.trainLoss = Float(1.1 * exp(-3 * t) + 0.02)
        s.trainAccuracy = Float(0.33 + 0.65 * (1 - exp(-4 * t)))
        s.validationLoss = Float(1.1 * exp(-2.8 * t) + 0.03)
        s.validationAccuracy = Float(0.33 + 0.62 * (1 - exp(-4 * t)))
        s.evaluatedAtStep = step / 100 * 100
        s.blockModes = Array(repeating: modes, count: depth)
        s.gradientNorms = (0..<depth).map { Float(0.2 * pow(0.97, Double($0))) }
        s.inputGradientNorms = (0..<depth).map { Float(0.5 * pow(0.98, Double($0))) }
        s.elapsedSeconds = Double(step) / 200
        return s
    }

    /// Feeds a run's history to a model: a snapshot every 50 steps.
    static func play(_ model: inout DashboardModel, until end: Int, twin: Bool = false,
                     make: (Int) -> Snapshot, makeTwin: (Int) -> Snapshot = { _ in Snapshot() }) {
        for step in stride(from: 50, through: end, by: 50) {
            model.absorb(make(step))
            if twin { model.absorbTwin(makeTwin(step)) }
        }
    }

    static func events(_ messages: [String]) -> [EngineEvent] {
        messages.enumerated().map { EngineEvent(id: $0.offset + 1, time: Double(7 * $0.offset), message: $0.element) }
    }

    static func defaultRun() -> DashboardModel {
        var model = DashboardModel()
        play(&model, until: 1200) { step in
            var s = snapshot(step: step, depth: 20)
            s.blockModes[2] = .deleted
            s.lesionedValidationAccuracy = s.validationAccuracy.map { $0 - 0.12 }
            s.events = events(["training spirals · dense · 20 blocks",
                               "block 3 deleted · val acc 100.0 % → 86.7 %"])
            s.decisionMap = spiralMap()
            return s
        }
        model.tab = .decisions
        return model
    }

    static func vanishing() -> DashboardModel {
        var model = twinRun(preset: .vanishing, depth: 20, activation: "sigmoid", norm: "none", finished: true)
        model.tab = .heatmap
        return model
    }

    static func twinRun(preset: Preset, depth: Int, activation: String, norm: String, finished: Bool) -> DashboardModel {
        var model = DashboardModel()
        model.preset = preset
        let end = finished ? 2000 : 1400
        func plain(_ step: Int) -> Snapshot {
            var s = snapshot(step: step, depth: depth, activation: activation, norm: norm, run: "plain", modes: .plain)
            s.gradientNorms = (0..<depth).map { Float(3e-2 * pow(0.0251, Double(depth - 1 - $0))) }
            s.trainLoss = Float(1.1 - 0.1 * Double(step) / 2000)
            s.validationAccuracy = Float(0.33 + 0.01 * Double(step) / 2000)
            if step == 2000 && finished { s.state = .finished; s.testAccuracy = 0.337 }
            s.events = events(["training spirals · dense · \(depth) blocks"])
            return s
        }
        play(&model, until: end, twin: true, make: { step in
            var s = snapshot(step: step, depth: depth, activation: activation, norm: norm, run: "residual")
            s.scope = preset == .vanishing ? .train : .eval
            if step == 2000 && finished {
                s.state = .finished
                s.testAccuracy = 0.697
            }
            s.events = events(["training spirals · dense · \(depth) blocks"]
                              + (step == 2000 ? ["finished at step 2000: test acc 69.7 %"] : []))
            return s
        }, makeTwin: plain)
        return model
    }

    static func lesion() -> DashboardModel {
        var model = twinRun(preset: .lesion, depth: 16, activation: "relu", norm: "batch", finished: true)
        var s = model.snapshot
        s.lesionSweep = SingleLesionResult(mode: .deleted, intact: 1, accuracy: (0..<16).map { Float(0.99 - 0.02 * Double($0 % 5)) })
        s.kDeletions = try! JSONDecoder().decode([KDeletionResult].self, from: Data("""
            [{"kind":"lesion-k","k":0,"samples":1,"mean":1,"std":0},{"kind":"lesion-k","k":1,"samples":16,"mean":0.97,"std":0.02},
             {"kind":"lesion-k","k":2,"samples":16,"mean":0.93,"std":0.04},{"kind":"lesion-k","k":4,"samples":16,"mean":0.84,"std":0.06},
             {"kind":"lesion-k","k":8,"samples":16,"mean":0.66,"std":0.08},{"kind":"lesion-k","k":16,"samples":1,"mean":0.5,"std":0}]
            """.utf8))
        model.absorb(s)
        model.tab = .lesions
        return model
    }

    static func paths() -> DashboardModel {
        var model = DashboardModel()
        model.preset = .paths
        play(&model, until: 2000) { step in
            var s = snapshot(step: step, depth: 12)
            if step == 2000 { s.state = .finished; s.testAccuracy = 0.99 }
            return s
        }
        var s = model.snapshot
        let binomial = (0...12).map { k in Double((1...max(1, k)).reduce(1) { $0 * (13 - $1) / $1 }) / 4096 }
        let perPath = (0...12).map { 0.5 * pow(0.4, Double($0)) }
        let total = zip(binomial, perPath).map { $0 * $1 * 4096 }
        let sum = total.reduce(0, +)
        s.paths = try! JSONDecoder().decode(PathResult.self, from: Data("""
            {"kind":"paths","blocks":12,"distribution":\(binomial),"gradient_per_path":\(perPath),
             "total_gradient":\(total.map { $0 / sum }),"effective_range":[1,5]}
            """.utf8))
        model.absorb(s)
        model.tab = .paths
        return model
    }

    /// Three spiral arms on a 24×24 grid, with 60 points, 3 of them misclassified.
    static func spiralMap() -> DecisionMap {
        let resolution = 24
        var classes: [UInt8] = []
        for row in 0..<resolution {
            for column in 0..<resolution {
                let x = Double(column) / Double(resolution - 1) * 2 - 1, y = 1 - Double(row) / Double(resolution - 1) * 2
                let angle = atan2(y, x) + 4 * hypot(x, y)
                classes.append(UInt8(Int(((angle / (2 * .pi) * 3).rounded(.down)).truncatingRemainder(dividingBy: 3) + 3) % 3))
            }
        }
        var points: [Float] = [], labels: [UInt8] = []
        for index in 0..<60 {
            let arm = index % 3, r = Double(index / 3 + 1) / 21
            let angle = Double(arm) * 2 * .pi / 3 - 4 * r + 0.3
            points += [Float(r * cos(angle)), Float(r * sin(angle))]
            labels.append(UInt8(index % 20 == 7 ? (arm + 1) % 3 : arm))
        }
        return DecisionMap(resolution: resolution, bounds: [-1, 1, -1, 1], classes: classes, points: points, labels: labels)
    }
}
