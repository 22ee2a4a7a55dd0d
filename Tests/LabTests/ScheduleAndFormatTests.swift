import Foundation
import Lab
import Network
import RunProtocol
import Testing

struct ScheduleTests {
    @Test func oneCycleWarmsUpThenDecays() {
        let s = LearningRateSchedule.onecycle
        let rates = (0...100).map { s.rate(step: $0, totalSteps: 100, peak: 1) }
        #expect(abs(rates[0] - 0.04) < 1e-6)
        #expect(abs(rates[30] - 1) < 1e-6)
        #expect(rates[100] < 1e-4)
        #expect(zip(rates[..<30], rates[1...30]).allSatisfy { $0 < $1 })
        #expect(zip(rates[30..<100], rates[31...]).allSatisfy { $0 >= $1 })
    }

    @Test func cosineAndConstant() {
        #expect(LearningRateSchedule.constant.rate(step: 70, totalSteps: 100, peak: 0.3) == 0.3)
        #expect(abs(LearningRateSchedule.cosine.rate(step: 50, totalSteps: 100, peak: 2) - 1) < 1e-6)
    }
}

struct ProgressFormatterTests {
    func sample() -> Snapshot {
        var s = Snapshot()
        s.step = 400
        s.totalSteps = 2000
        s.epoch = 21.3
        s.trainLoss = 0.412
        s.trainAccuracy = 0.912
        s.validationLoss = 0.392
        s.validationAccuracy = 0.92
        s.learningRate = 0.0812
        s.samplesPerSecond = 41_234
        s.gradientNorms = [0.5, 0.25]
        s.blockModes = [.residual, .deleted]
        s.events = [EngineEvent(id: 1, time: 0.5, message: "block 2 deleted")]
        return s
    }

    @Test func textLineShowsTheFiguresPeopleRead() {
        #expect(ProgressFormatter(json: false).text(sample())
                == "step  400/2000  epoch  21.3  loss 0.4120  acc  91.2 %  val 0.3920  92.0 %  lr 0.0812  41.2k samples/s")
    }

    @Test func jsonLineCarriesTheDocumentedKeysAndEachEventOnce() throws {
        var formatter = ProgressFormatter(json: true)
        let first = try #require(formatter.lines(for: sample()).first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        for key in ["step", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "grad_norm", "block_modes", "samples_per_s"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["block_modes"] as? [String] == ["residual", "deleted"])
        #expect((object["events"] as? [Any])?.count == 1)
        let second = try #require(formatter.lines(for: sample()).first)
        #expect(!second.contains("block 2 deleted"))
    }

    @Test func snapshotRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(sample())
        #expect(try JSONDecoder().decode(Snapshot.self, from: data) == sample())
    }

    @Test func commandsRoundTripThroughJSON() throws {
        let commands: [Command] = [.pause, .setMode(block: 3, mode: .plain), .setScope(.train), .scaleLearningRate(0.5)]
        let data = try JSONEncoder().encode(commands)
        #expect(try JSONDecoder().decode([Command].self, from: data) == commands)
    }
}
