/// A run cannot start: an invalid configuration, or data that cannot be read.
/// The message is a sentence for the user.
public struct RunError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
