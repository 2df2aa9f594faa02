import Foundation

/// Limits on the paths of HDF5 files, and the short names of their temporaries.
///
/// Open MPI 4.1's ompio aborts inside `MPI_File_open` ("buffer overflow detected") once a
/// file's name passes 232 bytes, or its directories a few hundred, because its shared-file-
/// pointer components build names from the path in fixed buffers. `MPIEnvironment` selects
/// ROMIO instead, with which what works is what the file system takes (`NAME_MAX` per name,
/// `PATH_MAX` in all; found by experiment on Linux), so the limits below stay inside those
/// with room for the temporary sibling's name.
public enum PathLimits {
    /// The longest absolute path, in UTF-8 bytes, that ``H5File`` creates or opens.
    public static let maximumPathBytes = 4000
    /// The longest file or directory name, in UTF-8 bytes (Linux's `NAME_MAX`).
    public static let maximumNameBytes = 255
    /// How much of the final name a temporary keeps, so temporaries stay recognisable yet short.
    static let temporaryPrefixCharacters = 24

    /// Throws a ``StorageError`` naming `path` and the limit when it is too long.
    static func check(_ path: String) throws {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        if absolute.utf8.count > maximumPathBytes {
            throw StorageError(file: path, kind: .pathTooLong,
                               "the path is \(absolute.utf8.count) bytes long (as an absolute path); at most \(maximumPathBytes) work with MPI-IO here: use a shorter directory or name")
        }
        if let long = absolute.split(separator: "/").first(where: { $0.utf8.count > maximumNameBytes }) {
            throw StorageError(file: path, kind: .pathTooLong,
                               "the name \"\(long.prefix(40))…\" is \(long.utf8.count) bytes long; file systems take at most \(maximumNameBytes) per name: shorten it")
        }
    }

    /// A hidden temporary sibling of `path`: `.<start of name>.tmp-<tag>`, short whatever the
    /// name's length, so that a name near the limit still has a temporary that fits.
    static func temporarySibling(of path: String, tag: String) -> String {
        let url = URL(fileURLWithPath: path)
        let start = String(url.lastPathComponent.prefix(temporaryPrefixCharacters))
        return url.deletingLastPathComponent().appendingPathComponent(".\(start).tmp-\(tag)").path
    }
}
