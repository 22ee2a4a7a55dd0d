import Network

/// A request to the `Engine`. Commands are applied between training steps,
/// in the order they were sent.
public enum Command: Sendable, Codable, Equatable {
    case pause
    case resume
    /// One training step while paused.
    case step
    case setMode(block: Int, mode: BlockMode)
    case setAllModes(BlockMode)
    case setScope(LesionScope)
    /// Evaluate on the validation set now.
    case evaluate
    /// Multiply the peak learning rate.
    case scaleLearningRate(Float)
    /// Start again from the seed, with the current learning rate and modes.
    case reset
    /// Write a checkpoint to this path.
    case save(path: String)
    /// Stop the run.
    case quit
}
