import CHDF5

/// An error from the storage layer: names the file, the object inside it and what went wrong.
///
/// HDF5's own error stack is silenced (it would print from every rank at once); its
/// innermost message is carried in ``detail`` instead.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    /// The HDF5 file (its final path, not the temporary one it is written under).
    public let file: String
    /// The dataset, group or attribute path inside the file (`nil` for file-level errors).
    public let object: String?
    /// What went wrong and, where there is one, the fix.
    public let message: String
    /// HDF5's innermost error message, when the failure came from the library.
    public let detail: String?

    /// Makes an error for `object` in `file`.
    public init(file: String, object: String? = nil, _ message: String, detail: String? = nil) {
        self.file = file
        self.object = object
        self.message = message
        self.detail = detail
    }

    public var description: String {
        var text = "storage: \(file)"
        if let object { text += ": \(object)" }
        text += ": \(message)"
        if let detail, !detail.isEmpty { text += " [HDF5: \(detail)]" }
        return text
    }
}

/// HDF5's innermost error message for the call that just failed (empty if none).
func lastHDF5Error() -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    ch5_last_error(&buffer)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
