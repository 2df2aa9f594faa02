import JobKit

/// Reads the keys of one layer table (`model.layers[2]`), collecting every problem with the full
/// key path (`model.layers[2].units`) in the validator's style: what is wrong and the fix.
///
/// Each read marks its key as known for the layer's type; ``finish()`` reports the keys that were
/// never read as unknown, suggesting the nearest known one.
struct LayerTableReader {
    /// The table's own key path, e.g. `model.layers[2]` or `model.layers[1].layers[0]`.
    let path: String
    let type: String
    let table: [String: ConfigValue]
    private(set) var known: [String] = ["type"]
    var problems: [ConfigProblem] = []

    init(path: String, type: String, table: [String: ConfigValue]) {
        self.path = path
        self.type = type
        self.table = table
    }

    func key(_ k: String) -> String { "\(path).\(k)" }

    private mutating func missing(_ k: String, _ expectation: String, _ what: String) {
        problems.append(ConfigProblem(path: key(k), message: "is required for a \(type) layer but missing",
                                      fix: "add `\(k) = …` (\(expectation)) to the layer table: \(what)"))
    }

    private mutating func wrong(_ k: String, _ value: ConfigValue, _ expectation: String, _ why: String? = nil) {
        problems.append(ConfigProblem(path: key(k), message: why ?? "expected \(expectation), found \(value.typeName) \(value.tomlLiteral.prefix(60))",
                                      fix: "use \(expectation)"))
    }

    /// An integer in `range`; `defaultValue` nil makes the key required. `what` explains the key
    /// in the "missing" fix.
    mutating func int(_ k: String, _ range: ClosedRange<Int>, default defaultValue: Int?, what: String) -> Int? {
        known.append(k)
        let expectation = "an integer in \(range.lowerBound)...\(range.upperBound)"
        guard let v = table[k] else {
            if defaultValue == nil { missing(k, expectation, what) }
            return defaultValue
        }
        guard case .int(let i) = v else { wrong(k, v, expectation); return nil }
        guard range.contains(i) else { wrong(k, v, expectation, "\(i) is out of range"); return nil }
        return i
    }

    /// An integer from a fixed set (`kernel = 1 | 3`).
    mutating func int(_ k: String, oneOf allowed: [Int], default defaultValue: Int) -> Int? {
        known.append(k)
        let expectation = "one of " + allowed.map(String.init).joined(separator: ", ")
        guard let v = table[k] else { return defaultValue }
        guard case .int(let i) = v else { wrong(k, v, expectation); return nil }
        guard allowed.contains(i) else { wrong(k, v, expectation, "\(i) is not allowed"); return nil }
        return i
    }

    /// A finite number in `range` (integers accepted).
    mutating func double(_ k: String, _ range: ClosedRange<Double>, default defaultValue: Double) -> Double? {
        known.append(k)
        let expectation = "a number in \(range.lowerBound)...\(range.upperBound)"
        guard let v = table[k] else { return defaultValue }
        let d: Double
        switch v {
        case .int(let i): d = Double(i)
        case .double(let x): d = x
        default: wrong(k, v, expectation); return nil
        }
        guard d.isFinite, range.contains(d) else { wrong(k, v, expectation, "\(v.tomlLiteral) is out of range"); return nil }
        return d
    }

    /// One of the raw values of `E`.
    mutating func choice<E: RawRepresentable & CaseIterable>(_ k: String, default defaultValue: E) -> E? where E.RawValue == String {
        known.append(k)
        let names = E.allCases.map(\.rawValue)
        let expectation = "one of " + names.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let v = table[k] else { return defaultValue }
        guard case .string(let s) = v else { wrong(k, v, expectation); return nil }
        guard let e = E(rawValue: s) else {
            let hint = nearestSpelling(of: s, among: names).map { " (did you mean \"\($0)\"?)" } ?? ""
            wrong(k, v, expectation, "\"\(s.prefix(40))\" is not allowed\(hint)")
            return nil
        }
        return e
    }

    /// A boolean.
    mutating func bool(_ k: String, default defaultValue: Bool) -> Bool? {
        known.append(k)
        guard let v = table[k] else { return defaultValue }
        guard case .bool(let b) = v else { wrong(k, v, "true or false"); return nil }
        return b
    }

    /// An array of integers in `range`, of `count` entries (empty allowed when `count` starts at 0).
    mutating func ints(_ k: String, _ range: ClosedRange<Int>, count: ClosedRange<Int>) -> [Int]? {
        known.append(k)
        let expectation = "an array of \(count.lowerBound)…\(count.upperBound) integers in \(range.lowerBound)...\(range.upperBound)"
        guard let v = table[k] else { return [] }
        guard case .array(let items) = v, count.contains(items.count) else { wrong(k, v, expectation); return nil }
        var out: [Int] = []
        for item in items {
            guard case .int(let i) = item, range.contains(i) else { wrong(k, v, expectation); return nil }
            out.append(i)
        }
        return out
    }

    /// A required array of layer tables (a residual body).
    mutating func tables(_ k: String, count: ClosedRange<Int>, what: String) -> [[String: ConfigValue]]? {
        known.append(k)
        let expectation = "an array of \(count.lowerBound) or more layer tables, e.g. [{ type = \"dense\", units = 64 }, { type = \"relu\" }]"
        guard let v = table[k] else { missing(k, expectation, what); return nil }
        guard let list = LayerTableReader.tableList(v), count.contains(list.count) else { wrong(k, v, expectation); return nil }
        return list
    }

    /// A required array of arrays of layer tables (concat branches; a branch may be empty).
    mutating func tableLists(_ k: String, count: ClosedRange<Int>, what: String) -> [[[String: ConfigValue]]]? {
        known.append(k)
        let expectation = "an array of \(count.lowerBound) or more branches, each an array of layer tables, e.g. [[{ type = \"dense\", units = 8 }], []]"
        guard let v = table[k] else { missing(k, expectation, what); return nil }
        guard case .array(let items) = v, count.contains(items.count) else { wrong(k, v, expectation); return nil }
        var out: [[[String: ConfigValue]]] = []
        for item in items {
            guard let list = LayerTableReader.tableList(item) else { wrong(k, v, expectation); return nil }
            out.append(list)
        }
        return out
    }

    static func tableList(_ v: ConfigValue) -> [[String: ConfigValue]]? {
        guard case .array(let items) = v else { return nil }
        var out: [[String: ConfigValue]] = []
        for item in items {
            guard case .table(let t) = item else { return nil }
            out.append(t)
        }
        return out
    }

    /// Problems for every key of the table that the layer's type does not have.
    mutating func finish() {
        for k in table.keys.sorted() where !known.contains(k) {
            let fix: String
            if let guess = nearestSpelling(of: k, among: known.filter { $0 != "type" }) {
                fix = "did you mean `\(guess)`?"
            } else {
                let keys = known.filter { $0 != "type" }
                fix = keys.isEmpty ? "remove it: a \(type) layer has no keys besides `type`"
                    : "remove it; a \(type) layer has " + keys.map { "`\($0)`" }.joined(separator: ", ")
            }
            problems.append(ConfigProblem(path: key(k), message: "is not a key of a \(type) layer", fix: fix))
        }
    }
}
