import RunProtocol

/// What the engine has measured apart from training: validation as trained
/// and with the current lesions, the test split at the end, the decision
/// map, and the latest result of each experiment.
struct Evaluations {
    var validationLoss: Float?
    var validationAccuracy: Float?
    /// With the current block modes, when they differ from training's.
    var lesionedAccuracy: Float?
    /// The step of the latest validation.
    var evaluatedAtStep = 0
    var testLoss: Float?
    var testAccuracy: Float?
    var decisionMap: DecisionMap?
    var lesionSweep: SingleLesionResult?
    var kDeletions: [KDeletionResult]?
    var paths: PathResult?

    /// The accuracy with the current modes.
    var currentAccuracy: Float? { lesionedAccuracy ?? validationAccuracy }
}
