import Foundation
import Network
import RunProtocol
import Testing

/// One fixture file written by `Tests/Reference/make_fixtures.py`.
struct ReferenceFixture: Decodable {
    struct Case: Decodable {
        let modes: [BlockMode]
        let training: Bool
        let logits: [Float]
        let loss: Float
        let inputGradient: [Float]
        let gradients: [String: [Float]]
        let buffersAfter: [String: [Float]]
    }

    let spec: ModelSpec
    let input: [Float]
    let labels: [Int]
    let parameters: [String: [Float]]
    let cases: [Case]

    static func load(_ name: String) throws -> ReferenceFixture {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(ReferenceFixture.self, from: Data(contentsOf: url))
    }
}

/// `‖actual − expected‖ / ‖expected‖`, with a tiny floor for near-zero tensors.
func mismatch(_ actual: [Float], _ expected: [Float]) -> Double {
    guard actual.count == expected.count else { return .infinity }
    let diff = zip(actual, expected).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
    let scale = expected.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
    return diff / max(scale, 1e-2)
}

/// ResLab against PyTorch on the same weights and inputs: logits, loss,
/// every parameter gradient, the input gradient and the updated batch-norm
/// statistics, in every block mode, in training and evaluation mode.
struct PyTorchParityTests {
    @Test(arguments: ["dense-batchnorm", "dense-layernorm", "conv-batchnorm"])
    func matchesPyTorch(fixtureName: String) throws {
        let fixture = try ReferenceFixture.load(fixtureName)
        for reference in fixture.cases {
            let net = ResNet(spec: fixture.spec, seed: 0)
            for entry in net.parameters + net.buffers {
                entry.parameter.value = try #require(fixture.parameters[entry.name], "no reference for \(entry.name)")
            }
            net.zeroGradients()
            let input = Tensor(shape: [fixture.labels.count, fixture.spec.inputFeatures], data: fixture.input)
            let logits = net.forward(input, modes: reference.modes, training: reference.training)
            let result = softmaxCrossEntropy(logits: logits, labels: fixture.labels)
            let inputGradient = net.backward(result.gradient)
            let label = "\(fixtureName) \(reference.modes) training=\(reference.training)"

            #expect(mismatch(logits.data, reference.logits) < 1e-4, "logits: \(label)")
            #expect(abs(result.loss - reference.loss) <= 1e-4 * abs(reference.loss), "loss: \(label)")
            #expect(mismatch(inputGradient.data, reference.inputGradient) < 1e-4, "input gradient: \(label)")
            for entry in net.parameters {
                let expected = try #require(reference.gradients[entry.name])
                #expect(mismatch(entry.parameter.gradient, expected) < 1e-4, "∂L/∂\(entry.name): \(label)")
            }
            for entry in net.buffers {
                let expected = try #require(reference.buffersAfter[entry.name])
                #expect(mismatch(entry.parameter.value, expected) < 1e-4, "\(entry.name) after the step: \(label)")
            }
        }
    }
}
