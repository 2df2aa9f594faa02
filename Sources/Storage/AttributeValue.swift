/// The value of an HDF5 attribute: small metadata attached to a group or dataset.
///
/// Numbers are stored as float64 and int64; strings as variable-length UTF-8 (h5py reads
/// them back as `str`); arrays as one-dimensional attributes.
public enum AttributeValue: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// One floating-point number.
    case double(Double)
    /// One integer.
    case int(Int)
    /// A UTF-8 string.
    case string(String)
    /// A list of floating-point numbers.
    case doubles([Double])
    /// A list of integers.
    case ints([Int])

    public var description: String {
        switch self {
        case .double(let x): return "\(x)"
        case .int(let n): return "\(n)"
        case .string(let s): return "\"\(s)\""
        case .doubles(let xs): return "\(xs)"
        case .ints(let ns): return "\(ns)"
        }
    }

    /// ``description``, cut to about 60 characters (for error messages).
    var summary: String {
        let text = description
        return text.count <= 60 ? text : String(text.prefix(57)) + "…"
    }

    /// The number, if this is ``double(_:)`` or ``int(_:)``.
    public var doubleValue: Double? {
        switch self {
        case .double(let x): return x
        case .int(let n): return Double(n)
        default: return nil
        }
    }

    /// The integer, if this is ``int(_:)``.
    public var intValue: Int? {
        if case .int(let n) = self { return n }
        return nil
    }

    /// The text, if this is ``string(_:)``.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}
