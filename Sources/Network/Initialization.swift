import Kernels

extension ResNet {
    /// Draws every weight matrix and kernel from the scheme in `spec`;
    /// biases start at zero and normalisation at γ = 1, β = 0. With `.zero`,
    /// the last weight of every branch is zero, so every block starts as the
    /// identity.
    func initialize(using generator: inout SeededGenerator) {
        for entry in parameters where entry.name.hasSuffix("weight") && entry.parameter.shape.count >= 2 {
            let p = entry.parameter
            let receptive = p.shape.dropFirst(2).reduce(1, *)
            let fanIn = p.shape[1] * receptive, fanOut = p.shape[0] * receptive
            let variance: Float = spec.initialization == .xavier ? 2 / Float(fanIn + fanOut) : 2 / Float(fanIn)
            let std = variance.squareRoot()
            for i in p.value.indices { p.value[i] = std * generator.normal() }
        }
        if spec.initialization == .zero {
            for block in blocks {
                guard let last = block.branch.parameters.last(where: { $0.parameter.shape.count >= 2 })?.parameter
                else { continue }
                for i in last.value.indices { last.value[i] = 0 }
            }
        }
    }
}
