/// A task or data source that cannot be built as configured: names the parameter at fault (as the
/// Swift initialiser calls it; a job maps it to its own key), what is wrong and how to fix it.
/// Thrown before any heavy work.
public struct TrainingDataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The parameter at fault, e.g. "dimension" or "labels".
    public let parameter: String
    /// What is wrong (a sentence fragment without the parameter's name).
    public let problem: String
    /// How to fix it.
    public let fix: String

    /// Creates the error for `parameter`.
    public init(_ parameter: String, _ problem: String, fix: String) {
        self.parameter = parameter
        self.problem = problem
        self.fix = fix
    }

    /// The message with a caller's name for the parameter: "`name`: problem (fix: …)".
    public func message(naming name: String) -> String { "`\(name)`: \(problem) (fix: \(fix))" }

    /// The message naming the parameter itself.
    public var description: String { message(naming: parameter) }
}
