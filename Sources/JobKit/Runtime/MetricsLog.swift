import Foundation
import Parallel
import Storage

/// Named arrays a long run records (metrics, diagnostics), kept in memory (identical on every rank, since every value
/// in it is already reduced) and written whole: into the diagnostics file (averages divided by
/// their counts) and into each checkpoint (raw sums, so a resumed run continues them exactly).
public final class MetricsLog {
    public enum Kind: Equatable, Sendable {
        /// Written once (coordinates such as k or r).
        case fixed
        /// Grows by one frame per record.
        case series
        /// A running sum over the averaging window of records of `group`.
        case average(group: String)
    }

    public init() {}

    public struct Entry: Sendable {
        public var kind: Kind
        public var frameShape: [Int]
        public var values: [Double]
        public var frames: Int
    }

    public private(set) var order: [String] = []
    public private(set) var entries: [String: Entry] = [:]
    /// Records summed into the averages, per group.
    public var averageCounts: [String: Int] = [:]
    /// Dataset attributes (units, meaning) written with the entries.
    public var notes: [String: String] = [:]

    private func entry(_ path: String, _ kind: Kind, _ frameShape: [Int]) -> Entry {
        if let e = entries[path] { return e }
        order.append(path)
        return Entry(kind: kind, frameShape: frameShape, values: [], frames: 0)
    }

    /// Sets a fixed array.
    public func setFixed(_ path: String, _ values: [Double], note: String? = nil) {
        var e = entry(path, .fixed, [values.count])
        e.values = values
        e.frames = 1
        entries[path] = e
        if let note { notes[path] = note }
    }

    /// Appends one frame (shape `frameShape`, [] for a scalar) to a series.
    public func append(_ path: String, _ values: [Double], frameShape: [Int] = [], note: String? = nil) {
        precondition(values.count == max(frameShape.reduce(1, *), 1), "\(path): frame of \(values.count) values, shape \(frameShape)")
        var e = entry(path, .series, frameShape)
        e.values.append(contentsOf: values)
        e.frames += 1
        entries[path] = e
        if let note, notes[path] == nil { notes[path] = note }
    }

    /// Adds one record to the running sum `path` of averaging group `group`.
    public func accumulate(_ path: String, _ values: [Double], frameShape: [Int] = [], group: String) {
        var e = entry(path, .average(group: group), frameShape)
        if e.values.isEmpty { e.values = [Double](repeating: 0, count: values.count) }
        for i in values.indices { e.values[i] += values[i] }
        e.frames = 1
        entries[path] = e
    }

    // MARK: Files

    /// Writes every entry under `root`. `raw`: averages as sums with their counts (checkpoint);
    /// otherwise divided by the counts (diagnostics file). Collective; rank 0 writes the data.
    public func write(to file: H5File, under root: String, raw: Bool) throws {
        let isRoot = file.communicator.isRoot
        for path in order {
            let e = entries[path]!
            let full = root + path
            var shape: [Int]
            var values = e.values
            var maxShape: [Int?]? = nil
            switch e.kind {
            case .fixed:
                shape = e.frameShape
            case .series:
                shape = [e.frames] + e.frameShape
                maxShape = [nil] + e.frameShape.map { Optional($0) }
            case .average(let group):
                shape = e.frameShape.isEmpty ? [1] : e.frameShape
                let count = averageCounts[group] ?? 0
                if !raw { values = values.map { count > 0 ? $0 / Double(count) : .nan } }
            }
            try file.createDataset(full, of: Double.self, shape: shape, maxShape: maxShape)
            if shape.reduce(1, *) > 0 {
                try file.write(full, isRoot ? values : [], offset: shape.map { _ in 0 },
                               count: isRoot ? shape : shape.map { _ in 0 })
            }
            let kindText: String
            switch e.kind {
            case .fixed: kindText = "fixed"
            case .series: kindText = "series"
            case .average(let group):
                kindText = "average:" + group
                try file.setAttribute("records_averaged", .int(averageCounts[group] ?? 0), on: full)
            }
            if raw { try file.setAttribute("log_kind", .string(kindText), on: full) }
            if raw, e.kind != .fixed { try file.setAttribute("frame_shape", .ints(e.frameShape.isEmpty ? [0] : e.frameShape), on: full) }
            if let note = notes[path] { try file.setAttribute("description", .string(note), on: full) }
        }
        if raw {
            // Sorted: a dictionary's order differs between processes, and every rank must set
            // the attributes in the same order (parallel HDF5 hangs at the flush otherwise).
            for (group, count) in averageCounts.sorted(by: { $0.key < $1.key }) {
                try file.setAttribute("average_count_" + group, .int(count), on: "/")
            }
        }
    }

    /// Reads a log written with `raw: true` under `root`. Collective.
    public static func read(from file: H5File, under root: String) throws -> MetricsLog {
        let log = MetricsLog()
        let prefix = root.hasSuffix("/") ? root : root + "/"
        for info in try file.contents() where info.kind == .dataset && info.path.hasPrefix(prefix) {
            let path = String(info.path.dropFirst(prefix.count))
            guard case .string(let kindText)? = info.attributes["log_kind"] else { continue }
            let values: [Double] = (info.shape ?? []).reduce(1, *) > 0 ? try file.read(info.path) : []
            var frameShape: [Int] = []
            if case .ints(let v)? = info.attributes["frame_shape"] { frameShape = v }
            if frameShape == [0] { frameShape = [] }
            if case .string(let note)? = info.attributes["description"] { log.notes[path] = note }
            log.order.append(path)
            switch kindText {
            case "fixed":
                log.entries[path] = Entry(kind: .fixed, frameShape: info.shape ?? [], values: values, frames: 1)
            case "series":
                log.entries[path] = Entry(kind: .series, frameShape: frameShape, values: values, frames: info.shape?.first ?? 0)
            default:
                let group = String(kindText.dropFirst("average:".count))
                log.entries[path] = Entry(kind: .average(group: group), frameShape: frameShape, values: values, frames: 1)
            }
        }
        for (name, value) in try file.attributes(of: "/") where name.hasPrefix("average_count_") {
            log.averageCounts[String(name.dropFirst("average_count_".count))] = value.intValue ?? 0
        }
        return log
    }
}

/// A log goes whole into a checkpoint (raw sums and counts, under `/log/`) and comes back exactly.
extension MetricsLog: Checkpointable {
    public func writeCheckpoint(to file: H5File) throws { try write(to: file, under: "/log/", raw: true) }

    public func readCheckpoint(from file: H5File) throws {
        let stored = try MetricsLog.read(from: file, under: "/log/")
        order = stored.order
        entries = stored.entries
        averageCounts = stored.averageCounts
        notes = stored.notes
    }
}
