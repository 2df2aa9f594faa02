/// A value from a job file, independent of the TOML library that parsed it.
///
/// Job kinds read their parameters from a validated tree of these; the resolved tree is
/// written back out as TOML into every run's output directory.
public indirect enum ConfigValue: Equatable, Sendable {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case array([ConfigValue])
    case table([String: ConfigValue])

    /// The name of the value's type, as used in error messages.
    public var typeName: String {
        switch self {
        case .int: return "integer"
        case .double: return "float"
        case .string: return "string"
        case .bool: return "boolean"
        case .array: return "array"
        case .table: return "table"
        }
    }

    /// The value written as TOML (inline form for arrays and tables).
    public var tomlLiteral: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v):
            if v.isNaN { return "nan" }
            if v.isInfinite { return v > 0 ? "inf" : "-inf" }
            let s = "\(v)"
            return s.contains(".") || s.contains("e") ? s : s + ".0"
        case .string(let s): return tomlQuoted(s)
        case .bool(let b): return b ? "true" : "false"
        case .array(let items): return "[" + items.map(\.tomlLiteral).joined(separator: ", ") + "]"
        case .table(let t):
            return "{ " + t.keys.sorted().map { "\(tomlKey($0)) = \(t[$0]!.tomlLiteral)" }.joined(separator: ", ") + " }"
        }
    }

    /// Looks up a dotted key path (`"fft.shape"`) in a table value.
    public func value(at path: String) -> ConfigValue? {
        var node = self
        for part in path.split(separator: ".") {
            guard case .table(let t) = node, let next = t[String(part)] else { return nil }
            node = next
        }
        return node
    }

    /// Returns a copy with `value` stored at the dotted `path`, creating tables on the way.
    public func setting(_ value: ConfigValue, at path: String) -> ConfigValue {
        let parts = path.split(separator: ".").map(String.init)
        return setting(value, at: parts[...])
    }

    private func setting(_ value: ConfigValue, at parts: ArraySlice<String>) -> ConfigValue {
        guard let head = parts.first else { return value }
        var table: [String: ConfigValue] = [:]
        if case .table(let t) = self { table = t }
        table[head] = (table[head] ?? .table([:])).setting(value, at: parts.dropFirst())
        return .table(table)
    }

    /// Every leaf (non-table value) with its dotted path, sorted by path.
    public var leaves: [(path: String, value: ConfigValue)] {
        var out: [(String, ConfigValue)] = []
        func walk(_ v: ConfigValue, _ prefix: String) {
            if case .table(let t) = v {
                for k in t.keys.sorted() { walk(t[k]!, prefix.isEmpty ? k : prefix + "." + k) }
            } else {
                out.append((prefix, v))
            }
        }
        walk(self, "")
        return out
    }

    /// The tree as a TOML document: top-level scalars first, then one `[section]` per table.
    public var tomlDocument: String {
        guard case .table(let root) = self else { return tomlLiteral + "\n" }
        var lines: [String] = []
        func emit(_ table: [String: ConfigValue], _ prefix: String) {
            let keys = table.keys.sorted()
            let scalars = keys.filter { if case .table = table[$0]! { return false } else { return true } }
            let tables = keys.filter { if case .table = table[$0]! { return true } else { return false } }
            if !prefix.isEmpty && !scalars.isEmpty {
                lines.append("")
                lines.append("[\(prefix)]")
            }
            for k in scalars { lines.append("\(tomlKey(k)) = \(table[k]!.tomlLiteral)") }
            for k in tables {
                guard case .table(let sub) = table[k]! else { continue }
                emit(sub, prefix.isEmpty ? tomlKey(k) : prefix + "." + tomlKey(k))
            }
        }
        emit(root, "")
        return lines.joined(separator: "\n") + "\n"
    }
}

func tomlQuoted(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if ch.value < 0x20 { out += unicodeEscape(ch.value) } else { out.unicodeScalars.append(ch) }
        }
    }
    return out + "\""
}

func tomlKey(_ k: String) -> String {
    let bare = k.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-" }
    return bare && !k.isEmpty ? k : tomlQuoted(k)
}

private func unicodeEscape(_ value: UInt32) -> String {
    let hex = String(value, radix: 16, uppercase: true)
    return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
