/// The type and allowed values of one job-file key.
public enum FieldType: Sendable {
    /// An integer, optionally limited to a range.
    case int(ClosedRange<Int>? = nil)
    /// A float (integers are accepted too), optionally bounded; `above` is an exclusive lower bound.
    case double(atLeast: Double? = nil, above: Double? = nil, atMost: Double? = nil)
    /// A string, optionally one of a fixed set.
    case string(choices: [String]? = nil)
    /// true or false.
    case bool
    /// An array of integers with a length in `count`, each element in `element`.
    case intArray(count: ClosedRange<Int>, element: ClosedRange<Int>? = nil)
    /// Integers given as an array or as a range string `"first:last"` / `"first:last:step"`,
    /// with a length in `count`, each element in `element`.
    case intList(count: ClosedRange<Int>, element: ClosedRange<Int>)
    /// An array of floats with a length in `count`.
    case doubleArray(count: ClosedRange<Int>)
    /// An array of strings with a length in `count`.
    case stringArray(count: ClosedRange<Int> = 0 ... Int.max)
    /// A plain file name (no `/`, not a name Cascade reserves) ending in one of `extensions`,
    /// written into the output directory.
    case fileName(extensions: [String])
    /// An array of `count` tables (TOML `[[section.key]]` blocks, or `key = [{…}, {…}]`) whose
    /// entries have a structure of their own (a model's layers): only the shape "array of
    /// tables" is checked here; the kind checks the entries in `problems(in:ranks:)`, naming
    /// them as `section.key[i].entry`.
    case tableArray(count: ClosedRange<Int>)

    /// The expected value in words, for error messages and `cascade describe`.
    public var expectation: String {
        switch self {
        case .int(let r):
            guard let r else { return "an integer" }
            if r.upperBound == Int.max { return "an integer ≥ \(r.lowerBound)" }
            return "an integer in \(r.lowerBound)...\(r.upperBound)"
        case .double(let atLeast, let above, let atMost):
            var bounds: [String] = []
            if let atLeast { bounds.append("≥ \(atLeast)") }
            if let above { bounds.append("> \(above)") }
            if let atMost { bounds.append("≤ \(atMost)") }
            return "a number" + (bounds.isEmpty ? "" : " " + bounds.joined(separator: " and "))
        case .string(let choices):
            guard let choices else { return "a string" }
            return "one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")
        case .bool: return "true or false"
        case .intArray(let count, let element):
            let len = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            let el = element.map { $0.upperBound == Int.max ? " ≥ \($0.lowerBound)" : " in \($0.lowerBound)...\($0.upperBound)" } ?? ""
            return "an array of \(len) integers\(el)"
        case .intList(let count, let element):
            let len = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            return "an array of \(len) integers in \(element.lowerBound)...\(element.upperBound), or a range \"first:last[:step]\" (\"first:last:*factor\" multiplies)"
        case .doubleArray(let count):
            let len = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            return "an array of \(len) numbers"
        case .stringArray(let count):
            if count == 0 ... Int.max { return "an array of strings" }
            let len = count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            return "an array of \(len) strings"
        case .fileName(let extensions):
            return "a file name (no directory) ending in " + extensions.map { "`\($0)`" }.joined(separator: " or ")
        case .tableArray(let count):
            let len = count.upperBound == Int.max ? "\(count.lowerBound) or more" : count.lowerBound == count.upperBound ? "\(count.lowerBound)" : "\(count.lowerBound) to \(count.upperBound)"
            return "an array of \(len) tables ([[key]] blocks or [{…}, …])"
        }
    }
}

/// One documented key of a job kind's configuration.
public struct ConfigField: Sendable {
    /// Dotted key path, such as `fft.shape_2d`.
    public let path: String
    /// Type and allowed values.
    public let type: FieldType
    /// The value used when the job file omits the key; nil makes the key required.
    public let defaultValue: ConfigValue?
    /// What the key means, with its unit.
    public let doc: String
    /// The key may differ between the run that wrote a checkpoint and `--resume` (for example
    /// `time.t_end` or an output interval); every other key must match the checkpoint's.
    public let resumable: Bool

    public init(_ path: String, _ type: FieldType, default defaultValue: ConfigValue?, _ doc: String, resumable: Bool = false) {
        self.path = path
        self.type = type
        self.defaultValue = defaultValue
        self.doc = doc
        self.resumable = resumable
    }
}

/// The typed, documented configuration of one job kind.
public struct JobSchema: Sendable {
    /// The `kind` value that selects this schema.
    public let kind: String
    /// One line on what the kind does.
    public let summary: String
    /// The kind's own keys (the common keys are added by ``allFields``).
    public let fields: [ConfigField]

    public init(kind: String, summary: String, fields: [ConfigField]) {
        self.kind = kind
        self.summary = summary
        self.fields = fields
    }

    /// The common keys (``CommonParameters``) followed by this kind's keys.
    public var allFields: [ConfigField] { CommonParameters.fields + fields }

    /// At most this many problems are listed; the rest are counted ("… and N more").
    public static let problemLimit = 50

    /// Checks `document` against the schema and fills in defaults.
    ///
    /// Every problem is collected (unknown keys with the nearest valid key suggested,
    /// wrong types, values out of range, missing required keys) and thrown together as
    /// one ``JobFileError``.
    public func resolve(_ document: ConfigValue, file: String) throws -> JobConfig {
        var problems: [ConfigProblem] = []
        let fieldsByPath = Dictionary(uniqueKeysWithValues: allFields.map { ($0.path, $0) })
        let tablePrefixes = Set(allFields.flatMap { f -> [String] in
            let parts = f.path.split(separator: ".")
            return (1 ..< max(parts.count, 1)).map { parts.prefix($0).joined(separator: ".") }
        })
        var resolved = ConfigValue.table([:])

        var unknownCount = 0
        for (path, value) in document.leaves {
            guard let field = fieldsByPath[path] else {
                unknownCount += 1
                // Past the limit, unknown keys are only counted: suggesting a near key costs an
                // edit distance against every declared key.
                if unknownCount > JobSchema.problemLimit { continue }
                if tablePrefixes.contains(path) {
                    problems.append(ConfigProblem(path: path, message: "is a section, not a value",
                                                  fix: "write it as a [\(path)] table with its keys"))
                    continue
                }
                var fix = "remove it; `cascade describe \(kind)` lists the valid keys"
                if let guess = nearest(path, among: Array(fieldsByPath.keys)) {
                    fix = "did you mean `\(guess)`?"
                } else if let last = path.split(separator: ".").last,
                          let guess = allFields.first(where: { $0.path.split(separator: ".").last.map(String.init) == String(last) }) {
                    fix = "did you mean `\(guess.path)`?"
                }
                problems.append(ConfigProblem(path: path, message: "is not a key of a `\(kind)` job", fix: fix))
                continue
            }
            switch check(value, against: field.type) {
            case .success(let normalised): resolved = resolved.setting(normalised, at: path)
            case .failure(let why):
                problems.append(ConfigProblem(path: path, message: why, fix: "use \(field.type.expectation)"))
            }
        }
        // Tables given where a value belongs (e.g. `[fft.shape]` instead of `fft.shape = [...]`).
        for field in allFields {
            if case .table = document.value(at: field.path) ?? .int(0) {
                problems.append(ConfigProblem(path: field.path, message: "is a table here but must be a value",
                                              fix: "use \(field.type.expectation)"))
            }
        }
        for field in allFields where resolved.value(at: field.path) == nil {
            if let d = field.defaultValue {
                resolved = resolved.setting(d, at: field.path)
            } else if !problems.contains(where: { $0.path == field.path }) {
                problems.append(ConfigProblem(path: field.path, message: "is required but missing",
                                              fix: "add `\(field.path) = …` (\(field.type.expectation)): \(field.doc)"))
            }
        }
        if unknownCount > JobSchema.problemLimit {
            problems.append(ConfigProblem(path: nil, message: "\(unknownCount) keys in all are not keys of a `\(kind)` job",
                                          fix: "check that this is a \(kind) job file"))
        }
        if !problems.isEmpty {
            throw JobFileError(file: file, problems: problems.sorted { ($0.path ?? "") < ($1.path ?? "") })
        }
        return JobConfig(kind: kind, values: resolved, file: file)
    }

    private func check(_ value: ConfigValue, against type: FieldType) -> Result<ConfigValue, CheckFailure> {
        func found() -> String { "expected \(type.expectation), found \(value.typeName) \(value.tomlLiteral)" }
        switch (type, value) {
        case (.int(let range), .int(let v)):
            if let range, !range.contains(v) { return .failure(CheckFailure("\(v) is out of range")) }
            return .success(value)
        case (.double(let atLeast, let above, let atMost), .int), (.double(let atLeast, let above, let atMost), .double):
            let v: Double
            if case .int(let i) = value { v = Double(i) } else if case .double(let d) = value { v = d } else { v = .nan }
            if !v.isFinite { return .failure(CheckFailure("\(value.tomlLiteral) is not a finite number")) }
            if let atLeast, v < atLeast { return .failure(CheckFailure("\(v) is too small")) }
            if let above, v <= above { return .failure(CheckFailure("\(v) is too small")) }
            if let atMost, v > atMost { return .failure(CheckFailure("\(v) is too large")) }
            return .success(.double(v))
        case (.string(let choices), .string(let s)):
            if let choices, !choices.contains(s) {
                let hint = nearest(s, among: choices).map { " (did you mean \"\($0)\"?)" } ?? ""
                return .failure(CheckFailure("\"\(s)\" is not allowed\(hint)"))
            }
            return .success(value)
        case (.bool, .bool): return .success(value)
        case (.intArray(let count, let element), .array(let items)):
            guard count.contains(items.count) else { return .failure(CheckFailure("has \(items.count) elements")) }
            var ints: [ConfigValue] = []
            for item in items {
                guard case .int(let v) = item else { return .failure(CheckFailure(found())) }
                if let element, !element.contains(v) { return .failure(CheckFailure("element \(v) is out of range")) }
                ints.append(item)
            }
            return .success(.array(ints))
        case (.intList(let count, let element), .array):
            return check(value, against: .intArray(count: count, element: element))
        case (.intList(let count, let element), .string(let text)):
            if let geometric = geometricRange(text, count: count, element: element) { return geometric }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2 || parts.count == 3, let first = parts[0], let last = parts[1],
                  let step = parts.count == 3 ? parts[2] : 1 else {
                return .failure(CheckFailure("\"\(text.prefix(40))\" is not a range \"first:last\" or \"first:last:step\""))
            }
            guard step >= 1, first <= last, element.contains(first), element.contains(last) else {
                return .failure(CheckFailure("range \(text) needs 1 ≤ step, first ≤ last, both in \(element.lowerBound)...\(element.upperBound)"))
            }
            let n = (last - first) / step + 1
            guard count.contains(n) else { return .failure(CheckFailure("range \(text) has \(n) elements")) }
            return .success(.array(stride(from: first, through: last, by: step).map { .int($0) }))
        case (.doubleArray(let count), .array(let items)):
            guard count.contains(items.count) else { return .failure(CheckFailure("has \(items.count) elements")) }
            var out: [ConfigValue] = []
            for item in items {
                switch item {
                case .int(let i): out.append(.double(Double(i)))
                case .double(let d) where d.isFinite: out.append(item)
                default: return .failure(CheckFailure(found()))
                }
            }
            return .success(.array(out))
        case (.tableArray(let count), .array(let items)):
            guard count.contains(items.count) else { return .failure(CheckFailure("has \(items.count) tables")) }
            for (i, item) in items.enumerated() {
                guard case .table = item else {
                    return .failure(CheckFailure("element \(i) is \(item.typeName) \(item.tomlLiteral.prefix(40)), not a table"))
                }
            }
            return .success(value)
        case (.fileName(let extensions), .string(let name)):
            if name.isEmpty || name.contains("/") || name.hasPrefix(".") {
                return .failure(CheckFailure("\"\(name)\" is not a plain file name"))
            }
            if !extensions.contains(where: { name.hasSuffix($0) && name.count > $0.count }) {
                return .failure(CheckFailure("\"\(name)\" does not end in \(extensions.joined(separator: " or "))"))
            }
            if OutputDirectory.reservedNames.contains(name) {
                return .failure(CheckFailure("\"\(name)\" is a name Cascade reserves for its own records"))
            }
            if name.utf8.count > OutputDirectory.maximumNameLength {
                return .failure(CheckFailure("\"\(name.prefix(40))…\" is longer than \(OutputDirectory.maximumNameLength) bytes"))
            }
            return .success(value)
        case (.stringArray(let count), .array(let items)):
            guard count.contains(items.count) else { return .failure(CheckFailure("has \(items.count) elements")) }
            guard items.allSatisfy({ if case .string = $0 { return true } else { return false } }) else {
                return .failure(CheckFailure(found()))
            }
            return .success(value)
        default:
            return .failure(CheckFailure(found()))
        }
    }
}

/// `"first:last:*factor"`: first, first·factor, … up to last (widths 64, 128, … 4096 from
/// `"64:4096:*2"`); nil when `text` is not of that form (the arithmetic forms are tried next).
private func geometricRange(_ text: String, count: ClosedRange<Int>, element: ClosedRange<Int>) -> Result<ConfigValue, CheckFailure>? {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard parts.count == 3, parts[2].hasPrefix("*") else { return nil }
    guard let first = Int(parts[0]), let last = Int(parts[1]), let factor = Int(parts[2].dropFirst()) else {
        return .failure("\"\(text.prefix(40))\" is not a range \"first:last:*factor\" of integers")
    }
    guard factor >= 2, first >= 1, first <= last, element.contains(first), element.contains(last) else {
        return .failure("range \(text) needs factor ≥ 2, 1 ≤ first ≤ last, both in \(element.lowerBound)...\(element.upperBound)")
    }
    var values: [ConfigValue] = []
    var v = first
    while v <= last {
        values.append(.int(v))
        let (next, overflow) = v.multipliedReportingOverflow(by: factor)
        if overflow { break }
        v = next
    }
    guard count.contains(values.count) else { return .failure("range \(text) has \(values.count) elements") }
    return .success(.array(values))
}

struct CheckFailure: Error, Sendable {
    let text: String
    init(_ text: String) { self.text = text }
}

extension Result where Failure == CheckFailure {
    static func failure(_ text: String) -> Result { .failure(CheckFailure(text)) }
}

extension ConfigProblem {
    init(path: String, message: CheckFailure, fix: String) {
        self.init(path: path, message: message.text, fix: fix)
    }
}
