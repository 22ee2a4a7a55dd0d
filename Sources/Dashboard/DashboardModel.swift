import RunProtocol

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

/// One line of the event log: the engine's, the twin's, or the screen's own.
public struct LoggedEvent: Sendable, Equatable {
    public var time: Double
    public var message: String
}

/// A chart's points: x is the step.
public typealias Curve = [(x: Double, y: Double)]

/// Everything the screen shows: the newest snapshot, the history the charts
/// need, and the user's choices. A value; `render` draws it.
public struct DashboardModel: Sendable {
    public var snapshot = Snapshot()
    public var trainLoss: Curve = []
    public var validationLoss: Curve = []
    public var trainAccuracy: Curve = []
    public var validationAccuracy: Curve = []
    public var lesionedAccuracy: Curve = []
    /// Each published step's gradient norms, oldest first (for the heatmap).
    public var gradientHistory: [(step: Int, norms: [Float])] = []
    public var selectedBlock = 0
    public var tab = Tab.heatmap
    public var logLoss = true
    public var gradientKind = GradientKind.weights
    public var showHelp = false
    /// Only the two charts and the bars, as large as the terminal allows.
    public var projector = false
    /// Whether the terminal shows colour; without it, marks and shades carry every distinction.
    public var colour = true
    public var themeName = "default"
    /// The lesson being run, for its captions and the help.
    public var preset: Preset?
    /// The plain twin, when one trains beside the network.
    public var twin: Snapshot?
    public var twinTrainLoss: Curve = []
    public var twinValidationAccuracy: Curve = []
    /// The whole event log, oldest first.
    public var eventLog: [LoggedEvent] = []
    /// How many screen lines the event log is scrolled back from its newest.
    public var eventScroll = 0
    /// What the engine can do; keys for anything else only say so.
    public var capabilities = Set(Capability.allCases)
    /// Why the engine went away (it exited, the connection dropped), if it did.
    public var lostEngine: String?
    /// Where the bars were last drawn, to map mouse clicks to blocks.
    public var barRows: [Int: Int] = [:]

    private var lastEventID = 0
    private var lastTwinEventID = 0
    static let historyLimit = 2000
    static let eventLimit = 1000

    public init() {}

    public var blockCount: Int { snapshot.blockModes.count }

    /// Takes in a new snapshot, extending the histories.
    public mutating func absorb(_ new: Snapshot) {
        let step = Double(new.step)
        if new.step < snapshot.step {
            // A reset: start the curves again.
            trainLoss = []; validationLoss = []; trainAccuracy = []; validationAccuracy = []; lesionedAccuracy = []
            gradientHistory = []
        }
        if let loss = new.trainLoss, new.step != snapshot.step || trainLoss.isEmpty, new.step > 0 {
            trainLoss.append((step, Double(loss)))
            trainAccuracy.append((step, Double(new.trainAccuracy ?? 0)))
            gradientHistory.append((new.step, values(of: new, kind: .weights)))
            if gradientHistory.count > 400 { gradientHistory.removeFirst(gradientHistory.count - 400) }
        }
        if new.evaluatedAtStep != snapshot.evaluatedAtStep || validationLoss.isEmpty || new.blockModes != snapshot.blockModes {
            let at = Double(new.evaluatedAtStep)
            if let loss = new.validationLoss { validationLoss.append((at, Double(loss))) }
            if let acc = new.validationAccuracy { validationAccuracy.append((at, Double(acc))) }
            if let lesioned = new.lesionedValidationAccuracy { lesionedAccuracy.append((at, Double(lesioned))) }
        }
        for series in [\DashboardModel.trainLoss, \.validationLoss, \.trainAccuracy, \.validationAccuracy, \.lesionedAccuracy] {
            Self.thin(&self[keyPath: series])
        }
        lastEventID = log(new.events, after: lastEventID, prefix: "")
        snapshot = new
        selectedBlock = min(selectedBlock, max(0, blockCount - 1))
    }

    /// Takes in a snapshot of the plain twin.
    public mutating func absorbTwin(_ new: Snapshot) {
        if new.step < (twin?.step ?? 0) { twinTrainLoss = []; twinValidationAccuracy = [] }
        if let loss = new.trainLoss, new.step != twin?.step, new.step > 0 { twinTrainLoss.append((Double(new.step), Double(loss))) }
        if new.evaluatedAtStep != twin?.evaluatedAtStep || twinValidationAccuracy.isEmpty, let accuracy = new.validationAccuracy {
            twinValidationAccuracy.append((Double(new.evaluatedAtStep), Double(accuracy)))
        }
        Self.thin(&twinTrainLoss)
        Self.thin(&twinValidationAccuracy)
        lastTwinEventID = log(new.events, after: lastTwinEventID, prefix: "plain twin: ")
        twin = new
    }

    /// The engine is gone: keep the last screen, and say why.
    public mutating func engineLost(_ reason: String) {
        lostEngine = reason
        note(reason + " · the screen shows the last snapshot · q quits")
    }

    /// Adds a line of the screen's own to the event log. It happens now, so it goes last.
    public mutating func note(_ message: String) {
        append(LoggedEvent(time: max(snapshot.elapsedSeconds, eventLog.last?.time ?? 0), message: message))
    }

    /// Appends the events newer than `seen`; returns the newest id.
    private mutating func log(_ events: [EngineEvent], after seen: Int, prefix: String) -> Int {
        for event in events where event.id > seen { append(LoggedEvent(time: event.time, message: prefix + event.message)) }
        return events.last.map { max($0.id, seen) } ?? seen
    }

    /// Inserts in time order: the twin's events and the residual engine's arrive in separate
    /// snapshots, so a later arrival may be an earlier event. Equal times keep arrival order.
    private mutating func append(_ event: LoggedEvent) {
        let position = eventLog.lastIndex { $0.time <= event.time }.map { $0 + 1 } ?? 0
        eventLog.insert(event, at: position)
        if eventLog.count > Self.eventLimit { eventLog.removeFirst(eventLog.count - Self.eventLimit) }
    }

    /// Halves a long curve, keeping every other point.
    private static func thin(_ curve: inout Curve) {
        guard curve.count > historyLimit else { return }
        curve = stride(from: 0, to: curve.count, by: 2).map { curve[$0] }
    }

    /// The gradient values the bars show.
    public var barValues: [Float] { values(of: snapshot, kind: gradientKind) }

    /// The gradient values of `snapshot` of one kind.
    func values(of snapshot: Snapshot, kind: GradientKind) -> [Float] {
        kind == .weights ? snapshot.gradientNorms : snapshot.inputGradientNorms
    }

    /// The one log axis of every gradient on screen: both nets' bars, and
    /// the heatmap's history when the heatmap is shown too.
    public func gradientAxis(withHeatmap: Bool) -> LogAxis {
        var values = barValues + (twin.map { self.values(of: $0, kind: gradientKind) } ?? [])
        if withHeatmap { values += gradientHistory.flatMap(\.norms) }
        return LogAxis(values: values)
    }

    /// The comparison of a finished twin run, once both have their test accuracy.
    public var verdict: TwinVerdict? {
        twin.flatMap { TwinVerdict(residual: snapshot, plain: $0) }
    }
}
