/// A selection that does not fit the data, or data that cannot be used.
///
/// It names the ``DatasetSelection`` field at fault, never a configuration key: callers that read the
/// selection from a job file map ``field`` to their own key names (the dataset layer knows no job files).
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The part of the selection the problem is about.
    public enum Field: String, Sendable, CaseIterable {
        case file, dataset, first, samples, stride, crop, coarse
        case sampleAxis = "sample_axis", blockRows = "block_rows"
    }

    /// The field at fault.
    public let field: Field
    /// What is wrong, as a sentence fragment without the field's name (e.g. "no such file \"x.h5\"").
    public let problem: String
    /// How to fix it.
    public let fix: String

    public init(_ field: Field, _ problem: String, fix: String) {
        self.field = field
        self.problem = problem
        self.fix = fix
    }

    /// The message with a caller's name for the field: "`name`: problem (fix: …)".
    public func message(naming name: String) -> String { "`\(name)`: \(problem) (fix: \(fix))" }

    /// The message naming the selection field itself.
    public var description: String { message(naming: field.rawValue) }
}
