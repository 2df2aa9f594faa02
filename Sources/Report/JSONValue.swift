import Foundation

/// A JSON value for the data the page's script draws from. Written by hand rather than with
/// `JSONEncoder` because the data holds NaN and ±∞ (an unfinished run, an undefined statistic),
/// which JSON cannot spell: they become `null`, which dygraphs draws as a gap.
public indirect enum JSONValue: Equatable, Sendable {
    /// `null` (also what non-finite numbers become).
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number; NaN and ±∞ are written as `null`.
    case number(Double)
    /// A string, escaped for JSON and for an HTML `<script>` element.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object whose members keep their order.
    case object([(String, JSONValue)])

    /// Equal when the encoded texts are equal (NaN equals NaN: both are `null`).
    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.encoded() == b.encoded() }

    /// Numbers as a JSON array, non-finite values as `null`.
    public static func numbers(_ xs: [Double]) -> JSONValue { .array(xs.map { .number($0) }) }

    /// The compact JSON text. Safe inside an HTML `<script>` element: `<`, `>` and `&` are
    /// written as `\u003c`, `\u003e`, `\u0026`, so no string can close the element.
    public func encoded() -> String {
        var out = ""
        append(to: &out)
        return out
    }

    private func append(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let x): out += JSONValue.format(x)
        case .string(let s): JSONValue.appendString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.append(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.appendString(key, to: &out)
                out += ":"
                value.append(to: &out)
            }
            out += "}"
        }
    }

    /// Shortest round-tripping text of a finite number; `null` for NaN and ±∞.
    static func format(_ x: Double) -> String {
        guard x.isFinite else { return "null" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    private static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
