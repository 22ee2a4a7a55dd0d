import Lab

/// The panels of the tabbed area.
public enum Tab: String, CaseIterable, Sendable {
    case heatmap = "gradient flow"
    case decisions = "decision map"
    case lesions = "lesion sweep"
    case paths = "paths"
}

/// Which gradient the bars show.
public enum GradientKind: Sendable {
    /// ‖∂L/∂W‖ of each branch.
    case weights
    /// ‖∂L/∂x‖ at each block's input.
    case input
}

/// Everything the screen shows: the newest snapshot, the history the charts
/// need, and the user's choices. A value; `render` draws it.
public struct DashboardModel: Sendable {
    public var snapshot = Snapshot()
    public var trainLoss: [(x: Double, y: Double)] = []
    public var validationLoss: [(x: Double, y: Double)] = []
    public var trainAccuracy: [(x: Double, y: Double)] = []
    public var validationAccuracy: [(x: Double, y: Double)] = []
    public var lesionedAccuracy: [(x: Double, y: Double)] = []
    public var gradientHistory: [[Float]] = []
    public var selectedBlock = 0
    public var tab = Tab.heatmap
    public var logLoss = true
    public var gradientKind = GradientKind.weights
    public var showHelp = false
    public var themeName = "default"
    /// The explanation of the lesson preset, shown in the help.
    public var lesson: String?
    /// The plain twin, when one trains beside the network.
    public var twin: Snapshot?
    public var twinTrainLoss: [(x: Double, y: Double)] = []
    public var twinValidationAccuracy: [(x: Double, y: Double)] = []
    /// Where the bars were last drawn, to map mouse clicks to blocks.
    public var barRows: [Int: Int] = [:]

    public init() {}

    public var blockCount: Int { snapshot.blockModes.count }

    /// Takes in a new snapshot, extending the histories.
    public mutating func absorb(_ new: Snapshot) {
        let step = Double(new.step)
        if new.step < snapshot.step {
            // A reset: start the curves again.
            trainLoss = []; validationLoss = []; trainAccuracy = []; validationAccuracy = []; lesionedAccuracy = []
        }
        if let loss = new.trainLoss, new.step != snapshot.step || trainLoss.isEmpty {
            trainLoss.append((step, Double(loss)))
            trainAccuracy.append((step, Double(new.trainAccuracy ?? 0)))
            gradientHistory.append(new.gradientNorms)
            if gradientHistory.count > 400 { gradientHistory.removeFirst(gradientHistory.count - 400) }
        }
        if new.evaluatedAtStep != snapshot.evaluatedAtStep || validationLoss.isEmpty || new.blockModes != snapshot.blockModes {
            let at = Double(new.evaluatedAtStep)
            if let loss = new.validationLoss { validationLoss.append((at, Double(loss))) }
            if let acc = new.validationAccuracy { validationAccuracy.append((at, Double(acc))) }
            if let lesioned = new.lesionedValidationAccuracy { lesionedAccuracy.append((at, Double(lesioned))) }
        }
        for series in [\DashboardModel.trainLoss, \.validationLoss, \.trainAccuracy, \.validationAccuracy, \.lesionedAccuracy]
        where self[keyPath: series].count > 2000 {
            self[keyPath: series] = stride(from: 0, to: self[keyPath: series].count, by: 2).map { self[keyPath: series][$0] }
        }
        snapshot = new
        selectedBlock = min(selectedBlock, max(0, blockCount - 1))
    }

    /// Takes in a snapshot of the plain twin.
    public mutating func absorbTwin(_ new: Snapshot) {
        if new.step < (twin?.step ?? 0) { twinTrainLoss = []; twinValidationAccuracy = [] }
        if let loss = new.trainLoss, new.step != twin?.step { twinTrainLoss.append((Double(new.step), Double(loss))) }
        if new.evaluatedAtStep != twin?.evaluatedAtStep, let accuracy = new.validationAccuracy {
            twinValidationAccuracy.append((Double(new.evaluatedAtStep), Double(accuracy)))
        }
        twin = new
    }

    /// The gradient values the bars show.
    public var barValues: [Float] { values(of: snapshot) }

    /// The gradient values of `snapshot` the bars show.
    func values(of snapshot: Snapshot) -> [Float] {
        gradientKind == .weights ? snapshot.gradientNorms : snapshot.inputGradientNorms
    }
}
