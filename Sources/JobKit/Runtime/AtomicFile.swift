import Foundation

/// Writes small files so that readers see either the old file or the whole new one.
public enum AtomicFile {
    /// Writes `data` to a temporary sibling of `url`, syncs it, then renames it onto `url`.
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        // Short whatever the name's length, so a name near NAME_MAX still has a temporary.
        let temp = dir.appendingPathComponent(".\(url.lastPathComponent.prefix(24)).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temp.path, contents: data) else {
            throw RunError("cannot write \(temp.path): check that \(dir.path) exists and is writable")
        }
        if let handle = FileHandle(forWritingAtPath: temp.path) {
            try? handle.synchronize()
            try? handle.close()
        }
        if rename(temp.path, url.path) != 0 {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw RunError("cannot move \(temp.path) onto \(url.path): \(why)")
        }
    }

    /// Writes `text` as UTF-8, atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}

/// An error while setting up or recording a run (output directory, run record).
public struct RunError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
