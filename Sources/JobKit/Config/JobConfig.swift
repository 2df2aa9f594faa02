/// A validated job configuration: every key of the kind's schema present with the right type,
/// defaults filled in. Kinds never read it key by key: they decode their parameter struct from
/// it (``ParameterSet/decode(_:)``).
public struct JobConfig: Sendable {
    /// The job kind.
    public let kind: String
    /// The resolved tree (defaults filled in).
    public let values: ConfigValue
    /// Where it came from, for messages.
    public let file: String

    public init(kind: String, values: ConfigValue, file: String) {
        self.kind = kind
        self.values = values
        self.file = file
    }

    /// The keys every job has.
    public var common: CommonParameters { CommonParameters.decode(self) }

    /// The run's name: `name` if set, else the given fallback (usually the job file's stem).
    public func name(fallback: String) -> String {
        let n = common.name
        return n.isEmpty ? fallback : n
    }
}
