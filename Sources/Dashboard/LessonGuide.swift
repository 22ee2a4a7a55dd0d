import RunProtocol

/// The guided caption: one line that says what to look at and what to press
/// next. It advances as the user acts (modes change) or as the run does
/// (training ends, an experiment runs). `?` shows the lesson's whole text.
public enum LessonGuide {
    public static func caption(_ model: DashboardModel) -> String {
        let s = model.snapshot
        let finished = s.state == .finished
        let skipsOff = s.blockModes.contains(.plain)
        let deleted = s.blockModes.contains(.deleted)
        if let lost = model.lostEngine { return "The engine is gone (\(lost)): this is its last snapshot. q quits." }
        if s.state == .diverged { return "The run diverged: press - to halve the learning rate, then R to start again." }
        if let experiment = s.experiment { return "Running the \(experiment.name): training waits; c cancels." }
        switch model.preset {
        case .vanishing?:
            if skipsOff {
                return finished ? "Skips off. Press R: the residual net retrains this way, and its early bars fall like the twin's."
                    : "Skips off: watch the residual net's early bars fall, decade by decade. a: skips on again."
            }
            if finished {
                return "The plain twin's first block gets almost no gradient. Press a, then R: retrain the residual net without skips."
            }
            return "One log axis: the plain twin's early bars sit decades below its last ones; the residual net's stay level."
        case .degradation?:
            if finished { return "Deeper plain nets train worse; `reslab train --preset degradation` compares 8 and 32 blocks." }
            return "32 blocks: watch the plain twin's loss (─ ─) stay above the residual net's (━━)."
        case .lesion?:
            if s.lesionSweep != nil {
                return "Each bar: accuracy with that block deleted (│ intact). d deletes one; K deletes k at random."
            }
            return deleted ? "A block is deleted: compare the lesioned accuracy (╍╍) with the intact one (┈┈)."
                : "Both nets train on moons; when training ends, the lesion sweep (L) runs by itself."
        case .lesionConv?:
            if let sweep = s.lesionSweep, let downsampling = sweep.groupMeans.downsampling {
                return String(format: "Deleting an ordinary block leaves %.1f %%; a downsampling block (↓) %.1f %%. Try d on each kind.",
                              100 * sweep.groupMeans.ordinary, 100 * downsampling)
            }
            return "A conv net learns Fashion-MNIST; when training ends the lesion sweep (L) runs: watch the ↓ blocks."
        case .paths?:
            if s.paths != nil {
                return "Most of the gradient comes from paths far shorter than the typical n/2: see the 90 % range."
            }
            return "When training ends, the path report (P) runs: which path lengths carry the gradient?"
        case nil:
            if skipsOff && s.norm != "none" {
                return "Normalisation keeps these gradients alive; to see them vanish: reslab --preset vanishing"
            }
            if deleted { return "Deleted blocks: the ╍╍ curve is the lesioned accuracy. r restores every block." }
            return "↑↓ choose a block · d deletes it (Veit's lesion) · s: skip off · ? explains every key"
        }
    }
}
