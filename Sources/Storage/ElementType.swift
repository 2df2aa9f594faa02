import CHDF5

/// The element type of a dataset as stored in the file.
public enum H5ElementType: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// IEEE 754 binary64 (Swift `Double`).
    case float64
    /// IEEE 754 binary32 (Swift `Float`).
    case float32
    /// Signed 64-bit integer (Swift `Int64` and `Int`).
    case int64
    /// Signed 32-bit integer (Swift `Int32`).
    case int32
    /// Anything else (written by another tool); the text says what, e.g. `uint8` or `string`.
    case other(String)

    /// A short name in numpy's spelling (`float64`, `int32`, ...), as `cascade inspect` prints it.
    public var name: String {
        switch self {
        case .float64: return "float64"
        case .float32: return "float32"
        case .int64: return "int64"
        case .int32: return "int32"
        case .other(let text): return text
        }
    }

    public var description: String { name }

    /// Size in bytes of one element (0 for ``other(_:)``, whose size is not tracked).
    public var byteCount: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .other: return 0
        }
    }

    /// Whether the elements are integers or floating point numbers of any width, which HDF5
    /// converts on reading to any number type (``H5RowReader`` relies on it); false for strings,
    /// compounds and the like.
    public var isNumber: Bool {
        switch self {
        case .float64, .float32, .int64, .int32: return true
        // Names made by init(datatype:) below: "float16", "int8", "uint16", ...
        case .other(let text): return text.hasPrefix("float") || text.hasPrefix("int") || text.hasPrefix("uint")
        }
    }

    /// Classifies an HDF5 datatype identifier.
    init(datatype type: hid_t) {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_FLOAT:
            self = size == 8 ? .float64 : size == 4 ? .float32 : .other("float\(size * 8)")
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (signed, size) {
            case (true, 8): self = .int64
            case (true, 4): self = .int32
            default: self = .other("\(signed ? "int" : "uint")\(size * 8)")
            }
        case H5T_STRING: self = .other("string")
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        case H5T_ARRAY: self = .other("array")
        case H5T_VLEN: self = .other("vlen")
        default: self = .other("unknown")
        }
    }
}

/// A Swift number type that datasets can hold, with its HDF5 memory and file types.
///
/// Double and Float are for fields; Int64, Int32 and Int for metadata (indices, counts).
/// Data are stored little-endian whatever the machine, so files move between clusters.
public protocol H5Scalar: Numeric, Sendable {
    /// The element type this Swift type is stored as.
    static var h5ElementType: H5ElementType { get }
    /// The native in-memory HDF5 type.
    static var h5MemoryType: hid_t { get }
    /// The on-disk HDF5 type.
    static var h5FileType: hid_t { get }
}

extension Double: H5Scalar {
    public static var h5ElementType: H5ElementType { .float64 }
    public static var h5MemoryType: hid_t { ch5_native_double() }
    public static var h5FileType: hid_t { ch5_ieee_f64le() }
}

extension Float: H5Scalar {
    public static var h5ElementType: H5ElementType { .float32 }
    public static var h5MemoryType: hid_t { ch5_native_float() }
    public static var h5FileType: hid_t { ch5_ieee_f32le() }
}

extension Int64: H5Scalar {
    public static var h5ElementType: H5ElementType { .int64 }
    public static var h5MemoryType: hid_t { ch5_native_int64() }
    public static var h5FileType: hid_t { ch5_std_i64le() }
}

extension Int32: H5Scalar {
    public static var h5ElementType: H5ElementType { .int32 }
    public static var h5MemoryType: hid_t { ch5_native_int32() }
    public static var h5FileType: hid_t { ch5_std_i32le() }
}

extension Int: H5Scalar {
    // Swift's Int is 64 bits on every platform MPI jobs run on.
    public static var h5ElementType: H5ElementType { .int64 }
    public static var h5MemoryType: hid_t { ch5_native_int64() }
    public static var h5FileType: hid_t { ch5_std_i64le() }
}
