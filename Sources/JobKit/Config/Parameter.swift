/// Typed, declarative job parameters: one declaration per key gives its path, type, range or
/// choices, default and documentation; the validator, `cascade describe` and the decoder all
/// read that same declaration (in the spirit of swift-argument-parser's property wrappers).
///
/// ```swift
/// struct GridParameters: ParameterSet {
///     @Parameter("grid.n", .range(4 ... 32768), doc: "Grid points per side.")
///     var n = 256
///     @Required("time.t_end", .above(0), doc: "Simulated time to run to.")
///     var tEnd: Double
/// }
/// ```
///
/// A kind's parameter struct is decoded once from the validated configuration
/// (``ParameterSet/decode(_:)``); `$n` is the key's declaration, for naming it in problems.

/// A Swift type a job-file value decodes into.
public protocol ParameterValue: Sendable {
    /// The field type used when a declaration gives no constraint.
    static var unconstrained: FieldType { get }
    /// A stand-in value for a required key while its declaration is being listed.
    static var placeholder: Self { get }
    /// The value from a validated (type-checked, normalised) configuration value.
    init?(configValue: ConfigValue)
    /// The value as written to a job file.
    var configValue: ConfigValue { get }
}

extension Int: ParameterValue {
    public static var unconstrained: FieldType { .int() }
    public static var placeholder: Int { 0 }
    public init?(configValue: ConfigValue) {
        guard case .int(let v) = configValue else { return nil }
        self = v
    }
    public var configValue: ConfigValue { .int(self) }
}

extension Double: ParameterValue {
    public static var unconstrained: FieldType { .double() }
    public static var placeholder: Double { 0 }
    public init?(configValue: ConfigValue) {
        switch configValue {
        case .double(let v): self = v
        case .int(let v): self = Double(v)
        default: return nil
        }
    }
    public var configValue: ConfigValue { .double(self) }
}

extension Bool: ParameterValue {
    public static var unconstrained: FieldType { .bool }
    public static var placeholder: Bool { false }
    public init?(configValue: ConfigValue) {
        guard case .bool(let v) = configValue else { return nil }
        self = v
    }
    public var configValue: ConfigValue { .bool(self) }
}

extension String: ParameterValue {
    public static var unconstrained: FieldType { .string() }
    public static var placeholder: String { "" }
    public init?(configValue: ConfigValue) {
        guard case .string(let v) = configValue else { return nil }
        self = v
    }
    public var configValue: ConfigValue { .string(self) }
}

extension Array: ParameterValue where Element: ParameterValue {
    public static var unconstrained: FieldType {
        switch Element.unconstrained {
        case .int: return .intArray(count: 0 ... Int.max)
        case .double: return .doubleArray(count: 0 ... Int.max)
        default: return .stringArray()
        }
    }
    public static var placeholder: [Element] { [] }
    public init?(configValue: ConfigValue) {
        guard case .array(let items) = configValue else { return nil }
        var out: [Element] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let v = Element(configValue: item) else { return nil }
            out.append(v)
        }
        self = out
    }
    public var configValue: ConfigValue { .array(map(\.configValue)) }
}

/// The value of an array-of-tables key (``FieldType/tableArray(count:)``): each table as parsed,
/// for kinds whose entries have their own structure (a model's layers) and are checked by the kind.
public struct ConfigTables: ParameterValue, Equatable {
    /// The tables, in file order.
    public var tables: [[String: ConfigValue]]
    /// Tables as given.
    public init(_ tables: [[String: ConfigValue]] = []) { self.tables = tables }
    public static var unconstrained: FieldType { .tableArray(count: 0 ... Int.max) }
    public static var placeholder: ConfigTables { ConfigTables() }
    public init?(configValue: ConfigValue) {
        guard case .array(let items) = configValue else { return nil }
        var out: [[String: ConfigValue]] = []
        for item in items {
            guard case .table(let t) = item else { return nil }
            out.append(t)
        }
        tables = out
    }
    public var configValue: ConfigValue { .array(tables.map { .table($0) }) }
}

extension Constraint where Value == ConfigTables {
    /// An array of `count` tables.
    public static func count(_ count: ClosedRange<Int>) -> Constraint { Constraint(.tableArray(count: count)) }
}

/// A string-valued enumeration whose cases are the allowed values of a key.
public protocol ParameterChoice: ParameterValue, CaseIterable, RawRepresentable where RawValue == String {}

extension ParameterChoice {
    public static var unconstrained: FieldType { .string(choices: allCases.map(\.rawValue)) }
    public static var placeholder: Self { allCases.first! }
    public init?(configValue: ConfigValue) {
        guard case .string(let s) = configValue, let v = Self(rawValue: s) else { return nil }
        self = v
    }
    public var configValue: ConfigValue { .string(rawValue) }
}

/// The allowed values of a key of type `Value`: a ``FieldType`` that matches the Swift type.
public struct Constraint<Value: ParameterValue>: Sendable {
    /// The validator's view of the constraint.
    public let fieldType: FieldType
    init(_ fieldType: FieldType) { self.fieldType = fieldType }
    /// Any value of the type.
    public static var any: Constraint { Constraint(Value.unconstrained) }
}

extension Constraint where Value == Int {
    /// An integer in `range`.
    public static func range(_ range: ClosedRange<Int>) -> Constraint { Constraint(.int(range)) }
    /// An integer ≥ `lower`.
    public static func atLeast(_ lower: Int) -> Constraint { Constraint(.int(lower ... Int.max)) }
}

extension Constraint where Value == Double {
    /// A finite number ≥ `lower` (and ≤ `upper`).
    public static func atLeast(_ lower: Double, atMost upper: Double? = nil) -> Constraint {
        Constraint(.double(atLeast: lower, atMost: upper))
    }
    /// A finite number > `lower` (and ≤ `upper`).
    public static func above(_ lower: Double, atMost upper: Double? = nil) -> Constraint {
        Constraint(.double(above: lower, atMost: upper))
    }
    /// A finite number in `range`.
    public static func range(_ range: ClosedRange<Double>) -> Constraint {
        Constraint(.double(atLeast: range.lowerBound, atMost: range.upperBound))
    }
}

extension Constraint where Value == String {
    /// One of `choices`.
    public static func choices(_ choices: [String]) -> Constraint { Constraint(.string(choices: choices)) }
    /// A plain file name (no directory part) ending in one of `extensions`, written into the
    /// output directory.
    public static func fileName(extensions: [String]) -> Constraint { Constraint(.fileName(extensions: extensions)) }
}

extension Constraint where Value == [Int] {
    /// An array of `count` integers, each in `element`.
    public static func count(_ count: ClosedRange<Int>, element: ClosedRange<Int>? = nil) -> Constraint {
        Constraint(.intArray(count: count, element: element))
    }
}

extension Constraint where Value == [Int] {
    /// Integers as an array or a range string `"first:last[:step]"`, expanded on validation.
    public static func integerList(count: ClosedRange<Int>, element: ClosedRange<Int>) -> Constraint {
        Constraint(.intList(count: count, element: element))
    }
}

extension Constraint where Value == [Double] {
    /// An array of `count` finite numbers.
    public static func count(_ count: ClosedRange<Int>) -> Constraint { Constraint(.doubleArray(count: count)) }
}

extension Constraint where Value == [String] {
    /// An array of `count` strings.
    public static func count(_ count: ClosedRange<Int>) -> Constraint { Constraint(.stringArray(count: count)) }
}

/// What every parameter wrapper exposes to ``ParameterSet`` reflection.
public protocol ParameterDeclaration {
    /// The key's declaration.
    var field: ConfigField { get }
}

/// The configuration being decoded on this task, if any (set by ``ParameterSet/decode(_:)``).
enum ParameterDecoding {
    @TaskLocal static var values: ConfigValue?

    static func value<Value: ParameterValue>(at path: String, as: Value.Type) -> Value? {
        guard let values else { return nil }
        guard let raw = values.value(at: path) else {
            fatalError("parameter \(path) is missing from a validated configuration (a bug in its job kind)")
        }
        guard let v = Value(configValue: raw) else {
            fatalError("parameter \(path) holds \(raw.typeName) \(raw.tomlLiteral), not \(Value.self) (a bug in its declaration)")
        }
        return v
    }
}

/// A job-file key with a default value.
@propertyWrapper
public struct Parameter<Value: ParameterValue>: ParameterDeclaration, Sendable {
    public let field: ConfigField
    public var wrappedValue: Value
    /// The declaration, so that checks can name the key: `ConfigProblem(p.$n, …)`.
    public var projectedValue: ConfigField { field }

    /// - Parameters:
    ///   - wrappedValue: the default.
    ///   - path: the dotted key path, e.g. `grid.n`.
    ///   - constraint: allowed values (default: any value of the type).
    ///   - resumable: the key may change between a checkpoint and `--resume` (e.g. `time.t_end`).
    ///   - doc: what the key means, with its unit.
    public init(wrappedValue: Value, _ path: String, _ constraint: Constraint<Value> = .any,
                resumable: Bool = false, doc: String) {
        field = ConfigField(path, constraint.fieldType, default: wrappedValue.configValue, doc, resumable: resumable)
        self.wrappedValue = ParameterDecoding.value(at: path, as: Value.self) ?? wrappedValue
    }
}

/// A job-file key without a default: the job file must give it.
@propertyWrapper
public struct Required<Value: ParameterValue>: ParameterDeclaration, Sendable {
    public let field: ConfigField
    public var wrappedValue: Value
    public var projectedValue: ConfigField { field }

    public init(_ path: String, _ constraint: Constraint<Value> = .any, resumable: Bool = false, doc: String) {
        field = ConfigField(path, constraint.fieldType, default: nil, doc, resumable: resumable)
        wrappedValue = ParameterDecoding.value(at: path, as: Value.self) ?? Value.placeholder
    }
}

/// A group of parameters: a struct whose stored properties are ``Parameter``/``Required``
/// wrappers or nested parameter sets. Its keys are found by reflection on `init()`.
public protocol ParameterSet: Sendable {
    /// Every key at its default (required keys hold placeholders).
    init()
}

extension ParameterSet {
    /// The declarations of every key, in declaration order (nested sets in place).
    public static var fields: [ConfigField] { collectFields(Self()) }

    /// Decodes a validated configuration (see ``JobSchema/resolve(_:file:)``) into the struct.
    public static func decode(_ config: JobConfig) -> Self {
        ParameterDecoding.$values.withValue(config.values) { Self() }
    }
}

private func collectFields(_ value: Any) -> [ConfigField] {
    var out: [ConfigField] = []
    for child in Mirror(reflecting: value).children {
        if let p = child.value as? ParameterDeclaration {
            out.append(p.field)
        } else if child.value is ParameterSet {
            out += collectFields(child.value)
        }
    }
    return out
}
