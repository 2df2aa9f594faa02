import Foundation
import Parallel
import Storage

/// An HDF5 output of a run, opened by this process alone (`MPI_COMM_SELF`: under mpirun only
/// rank 0 makes the report, and the other ranks take no part in opening files), read forgivingly: a missing
/// dataset is nil, so one absent quantity leaves one chart out rather than the whole section.
final class OutputFile {
    let url: URL
    let file: H5File
    private let objects: [String: H5ObjectInfo]

    /// Opens `name` in `directory`; a file that cannot be opened throws with its path named.
    init(_ name: String, in directory: URL) throws {
        url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ReportError("\(url.path): no such file (the run has not written it yet, or it was removed)")
        }
        do {
            file = try H5File.open(url.path, communicator: .selfOnly)
            objects = Dictionary(try file.contents().map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        } catch {
            throw ReportError("\(url.path) cannot be read as HDF5 (\(error)); if the run is still writing it, report again when it has finished")
        }
    }

    deinit { try? file.close() }

    var paths: [String] { objects.keys.sorted() }

    func has(_ path: String) -> Bool { objects[path] != nil }

    func shape(_ path: String) -> [Int]? { objects[path]?.shape }

    /// The dataset's values as Double (float64, float32 and integer datasets), nil when absent or unreadable.
    func doubles(_ path: String, offset: [Int]? = nil, count: [Int]? = nil) -> [Double]? {
        guard let info = objects[path], info.kind == .dataset, info.readProblem == nil, let type = info.elementType else { return nil }
        switch type {
        case .float64: return try? file.read(path, as: Double.self, offset: offset, count: count)
        case .float32: return (try? file.read(path, as: Float.self, offset: offset, count: count))?.map(Double.init)
        case .int64: return (try? file.read(path, as: Int64.self, offset: offset, count: count))?.map(Double.init)
        case .int32: return (try? file.read(path, as: Int32.self, offset: offset, count: count))?.map(Double.init)
        default: return nil
        }
    }

    /// Row `row` of a 2D dataset, or the whole of a 1D one.
    func row(_ path: String, _ row: Int) -> [Double]? {
        guard let shape = shape(path), shape.count == 2, row >= 0, row < shape[0] else { return nil }
        return doubles(path, offset: [row, 0], count: [1, shape[1]])
    }

    func attributes(_ path: String = "/") -> [String: AttributeValue] { objects[path]?.attributes ?? [:] }

    func number(_ name: String, of path: String = "/") -> Double? { attributes(path)[name]?.doubleValue }

    func text(_ name: String, of path: String = "/") -> String? { attributes(path)[name]?.stringValue }
}

/// A report that cannot be made; the message names the folder or file and what to do.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do about it.
    public let description: String
    /// An error with the given message.
    public init(_ description: String) { self.description = description }
}
