/// A refused input of the diffusion module: the message names the argument and the fix.
public struct DiffusionError: Error, CustomStringConvertible, Equatable {
    /// What was wrong and how to fix it.
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
