import Foundation

/// A request to the `Engine`. Commands are applied between training steps,
/// in the order they were sent.
public enum Command: Sendable, Codable, Equatable {
    case pause
    case resume
    /// One training step while paused.
    case step
    case setMode(block: Int, mode: BlockMode)
    case setAllModes(BlockMode)
    /// Skip connection of one block on or off (residual ↔ plain); the engine,
    /// which owns the modes, decides which.
    case toggleSkip(block: Int)
    /// Delete the block, or restore it if it is deleted.
    case toggleDelete(block: Int)
    /// Every skip off if any is on, else every skip on; deleted blocks stay deleted.
    case toggleAllSkips
    case setScope(LesionScope)
    /// Evaluation only ↔ training and evaluation.
    case toggleScope
    /// Pause if training, resume if paused.
    case togglePause
    /// Evaluate on the validation set now.
    case evaluate
    /// Multiply the peak learning rate.
    case scaleLearningRate(Float)
    /// Start again from the seed, with the current learning rate and modes.
    case reset
    /// Delete each block in turn and measure the accuracy (training pauses).
    case lesionSweep
    /// Accuracy against the number of blocks deleted at random.
    case kDeletionCurve
    /// Veit's path statistics.
    case pathReport
    /// Stop the running experiment.
    case cancelExperiment
    /// Write a checkpoint to this path, or to
    /// `reslab-<dataset>-step<N>.safetensors` at the step it is written.
    case save(path: String?)
    /// Stop the run.
    case quit
}
