/// A validated job configuration: every key of the kind's schema present with the right type.
///
/// Accessors trap on a key the schema does not declare: that is a programming error in
/// the job kind, never a user error (users' mistakes are caught by ``JobSchema/resolve(_:file:)``).
public struct JobConfig: Sendable {
    /// The job kind.
    public let kind: String
    /// The resolved tree (defaults filled in).
    public let values: ConfigValue
    /// Where it came from, for messages.
    public let file: String

    /// The run's name: `name` if set, else the given fallback (usually the job file's stem).
    public func name(fallback: String) -> String {
        let n = string("name")
        return n.isEmpty ? fallback : n
    }

    private func value(_ path: String) -> ConfigValue {
        guard let v = values.value(at: path) else { fatalError("job kind \(kind) reads undeclared key \(path)") }
        return v
    }

    /// An integer value.
    public func int(_ path: String) -> Int {
        guard case .int(let v) = value(path) else { fatalError("\(path) is not an integer") }
        return v
    }

    /// A float value (integers in the file were converted on validation).
    public func double(_ path: String) -> Double {
        switch value(path) {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default: fatalError("\(path) is not a number")
        }
    }

    /// A string value.
    public func string(_ path: String) -> String {
        guard case .string(let v) = value(path) else { fatalError("\(path) is not a string") }
        return v
    }

    /// A boolean value.
    public func bool(_ path: String) -> Bool {
        guard case .bool(let v) = value(path) else { fatalError("\(path) is not a boolean") }
        return v
    }

    /// An array of integers.
    public func ints(_ path: String) -> [Int] {
        guard case .array(let items) = value(path) else { fatalError("\(path) is not an array") }
        return items.map { if case .int(let v) = $0 { return v }; fatalError("\(path) holds a non-integer") }
    }

    /// An array of floats.
    public func doubles(_ path: String) -> [Double] {
        guard case .array(let items) = value(path) else { fatalError("\(path) is not an array") }
        return items.map {
            switch $0 {
            case .double(let v): return v
            case .int(let v): return Double(v)
            default: fatalError("\(path) holds a non-number")
            }
        }
    }

    /// An array of strings.
    public func strings(_ path: String) -> [String] {
        guard case .array(let items) = value(path) else { fatalError("\(path) is not an array") }
        return items.map { if case .string(let v) = $0 { return v }; fatalError("\(path) holds a non-string") }
    }
}
