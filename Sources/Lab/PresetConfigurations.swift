import RunProtocol

extension Preset {
    /// The configurations of the preset (degradation has one per depth).
    public func configurations(base: RunConfiguration = RunConfiguration()) -> [RunConfiguration] {
        var c = base
        c.dataset = .spirals
        c.model = .dense
        c.width = 32
        switch self {
        case .vanishing:
            c.depth = 20
            c.activation = .sigmoid
            c.initialization = .xavier
            c.norm = .none
            c.learningRate = 0.1
            c.twin = true
            c.scope = .train
            c.steps = 2000
            return [c]
        case .degradation:
            c.norm = .batch
            c.twin = true
            c.steps = 1500
            return [8, 32].map { depth in
                var run = c
                run.depth = depth
                return run
            }
        case .lesion:
            c.dataset = .moons
            c.depth = 16
            c.norm = .batch
            c.twin = true
            c.steps = 1500
            return [c]
        case .lesionConv:
            c.dataset = .fashionMNIST
            c.model = .conv
            c.depth = 3
            c.width = 16
            c.norm = .batch
            c.epochs = 2
            return [c]
        case .paths:
            c.depth = 12
            c.norm = .batch
            c.steps = 2000
            return [c]
        }
    }
}
