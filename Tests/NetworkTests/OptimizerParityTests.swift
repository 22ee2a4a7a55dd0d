import Foundation
import Network
import Testing

/// `Tests/Reference/make_fixtures.py`'s optimizer fixture: three steps of
/// `torch.optim.SGD` and `torch.optim.Adam` on one tensor.
struct OptimizerFixture: Decodable {
    let initial: [Float]
    let gradients: [[Float]]
    let weightsAfter: [String: [[Float]]]

    enum CodingKeys: String, CodingKey {
        case initial, gradients
        case weightsAfter = "weights_after"
    }
}

/// ResLab's update rules against PyTorch's, step by step.
struct OptimizerParityTests {
    static let settings: [(String, OptimizerSettings, Float)] = [
        ("sgd-nesterov", OptimizerSettings(kind: .sgd, momentum: 0.9, nesterov: true, weightDecay: 5e-4), 0.1),
        ("sgd-momentum", OptimizerSettings(kind: .sgd, momentum: 0.9, nesterov: false, weightDecay: 5e-4), 0.1),
        ("adam", OptimizerSettings(kind: .adam, weightDecay: 5e-4), 0.01),
    ]

    @Test(arguments: settings)
    func updatesMatchPyTorch(name: String, settings: OptimizerSettings, rate: Float) throws {
        let url = try #require(Bundle.module.url(forResource: "optimizers", withExtension: "json", subdirectory: "Fixtures"))
        let fixture = try JSONDecoder().decode(OptimizerFixture.self, from: Data(contentsOf: url))
        let expected = try #require(fixture.weightsAfter[name])
        let parameter = Parameter(shape: [fixture.initial.count], value: fixture.initial)
        let optimizer = Optimizer(settings: settings, parameters: [parameter])
        for (step, gradient) in fixture.gradients.enumerated() {
            parameter.gradient = gradient
            optimizer.step(rate: rate)
            #expect(mismatch(parameter.value, expected[step]) < 1e-6, "\(name), step \(step + 1)")
        }
    }
}
