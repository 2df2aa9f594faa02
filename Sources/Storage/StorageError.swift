import CHDF5

/// An error from the storage layer: names the file, the object inside it and what went wrong.
///
/// HDF5's own error stack is silenced (it would print from every rank at once); its
/// innermost message is carried in ``detail`` instead.
public struct StorageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The HDF5 file (its final path, not the temporary one it is written under).
    public let file: String
    /// The dataset, group or attribute path inside the file (`nil` for file-level errors).
    public let object: String?
    /// What went wrong and, where there is one, the fix.
    public let message: String
    /// HDF5's innermost error message, when the failure came from the library.
    public let detail: String?
    /// What sort of problem it is, so callers (the jobs layer) can add their own advice.
    public let kind: Kind

    /// Problems a caller may want to tell apart; everything else is `.other`.
    public enum Kind: String, Sendable {
        case other
        /// The named dataset is not in the file.
        case noSuchDataset
        /// The file system ran out of space (ENOSPC) while the file was written.
        case diskFull
        /// Another program has the file open for writing (or crashed while it had).
        case beingWritten
        /// The path is longer than MPI-IO and the file system handle.
        case pathTooLong
        /// The dataset uses a filter this HDF5 library cannot decode.
        case unsupportedFilter
        /// The dataset is virtual, which parallel HDF5 cannot read.
        case virtualDataset
    }

    /// Makes an error for `object` in `file`.
    public init(file: String, object: String? = nil, kind: Kind = .other, _ message: String, detail: String? = nil) {
        self.file = file
        self.object = object
        self.kind = kind
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
