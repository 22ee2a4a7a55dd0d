/// The lessons: named settings, chosen by measuring, that make one result
/// of the papers visible.
public enum Preset: String, CaseIterable, Codable, Sendable {
    case vanishing, degradation, lesion, paths
    case lesionConv = "lesion-conv"

    /// What to press and what to look for (for the help overlay and `--help`).
    public var lesson: String {
        switch self {
        case .vanishing:
            return "A 20-block sigmoid net without normalisation, and its plain twin. In the plain twin the "
                + "gradient shrinks by a factor of four or more per block: its first block's gradient is about "
                + "1e-24 of its last one's and it stays at chance, while the residual net's gradients stay within "
                + "a factor of 2 of each other. Press a (scope is train) to switch the residual net's skips off "
                + "and watch its bars fall the same way; once the run has ended, press a and then R to retrain it so."
        case .degradation:
            return "Plain and residual nets of 8 and 32 blocks. The deeper plain net ends with a higher training "
                + "loss than the shallower one; the deeper residual net does as well as the shallower one. "
                + "The dashboard shows the 32-block pair; `reslab train --preset degradation` runs all four."
        case .lesion:
            return "A 16-block residual net on moons and its plain twin, both trained to 100 %. When training ends "
                + "the lesion sweep runs (L): deleting any single block of the residual net barely moves its "
                + "accuracy, because it behaves like an ensemble of shallow paths; `reslab lesion --preset lesion` "
                + "shows the plain twin falling to chance. Try d on a block, and K for several at once."
        case .lesionConv:
            return "A conv ResNet on Fashion-MNIST (3 stages of 3 blocks; the first block of stages 2 and 3 halves the "
                + "image and doubles the channels, with a projection shortcut). When training ends the lesion sweep "
                + "runs (L): deleting an ordinary block costs little, deleting a downsampling block (marked ↓) much "
                + "more, as in Veit et al.'s Figure 3."
        case .paths:
            return "A 12-block residual net. When training ends the path report runs (P): most of the gradient "
                + "flows through short paths, far shorter than the typical path length n/2."
        }
    }

    /// The experiment the lesson runs when training ends, if any.
    public var followUp: Command? {
        switch self {
        case .lesion, .lesionConv: return .lesionSweep
        case .paths: return .pathReport
        case .vanishing, .degradation: return nil
        }
    }
}
