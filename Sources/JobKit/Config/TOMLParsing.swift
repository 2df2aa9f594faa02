import TOMLKit

/// Parses TOML text into a ``ConfigValue`` table; syntax errors carry line and column.
public enum TOMLParsing {
    /// Parses a whole document. `source` names the file in error messages.
    public static func parse(_ text: String, source: String) throws -> ConfigValue {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw JobFileError(file: source, problems: [ConfigProblem(
                path: nil,
                message: "not valid TOML at line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)",
                fix: "fix the syntax (strings need quotes, tables are [name], arrays are [1, 2])")])
        }
        return try convert(table, path: "", source: source)
    }

    /// Parses the right-hand side of a `--set key=value` override. Text that is not a
    /// TOML value (for example `measure`) is taken as a string, as users expect on a shell.
    public static func parseOverrideValue(_ text: String) -> ConfigValue {
        if let table = try? TOMLTable(string: "v = \(text)"), let v = table["v"],
           let converted = try? convert(v, path: "v", source: "--set") {
            return converted
        }
        return .string(text)
    }

    private static func convert(_ value: TOMLValueConvertible, path: String, source: String) throws -> ConfigValue {
        switch value.type {
        case .int: return .int(value.int!)
        case .double: return .double(value.double!)
        case .string: return .string(value.string!)
        case .bool: return .bool(value.bool!)
        case .array:
            var items: [ConfigValue] = []
            for (i, item) in value.array!.enumerated() {
                items.append(try convert(item, path: "\(path)[\(i)]", source: source))
            }
            return .array(items)
        case .table:
            var out: [String: ConfigValue] = [:]
            for (k, v) in value.table! {
                out[k] = try convert(v, path: path.isEmpty ? k : "\(path).\(k)", source: source)
            }
            return .table(out)
        case .date, .time, .dateTime:
            throw JobFileError(file: source, problems: [ConfigProblem(
                path: path, message: "dates and times are not job parameters",
                fix: "write it as a string or a number")])
        }
    }
}
