import Foundation
import Parallel
import Storage

/// A readable summary of an HDF5 file, for `cascade inspect`.
public enum FileInspector {
    /// Lists groups and datasets with shape, type and attributes; numeric datasets of at most
    /// `statisticsLimit` elements also get min, max, mean and a NaN count (read in frames).
    public static func summary(of path: String, statisticsLimit: Int = 1 << 26) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StorageError(file: path, "no such file")
        }
        // This process alone: `cascade report` lists files on rank 0 only, where a split would hang.
        let file = try H5File.open(path, communicator: .selfOnly)
        defer { try? file.close() }
        var lines: [String] = []
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        lines.append("\(path) (\(formatBytes(size)))")
        for info in try file.contents() {
            let depth = info.path == "/" ? 0 : info.path.split(separator: "/").count
            let indent = String(repeating: "  ", count: depth)
            if info.kind == .group {
                lines.append("\(indent)\(info.path)  group")
            } else {
                let shape = info.shape ?? []
                let dims = shape.map(String.init).joined(separator: " × ")
                let unlimited = (info.maxShape ?? []).contains { $0 == nil } ? " (extendible along axis 0)" : ""
                var line = "\(indent)\(info.path)  \(info.elementType.map { "\($0)" } ?? "?") [\(dims.isEmpty ? "scalar" : dims)]\(unlimited)"
                line += storageText(info)
                let count = shape.reduce(1, *)
                if let problem = info.readProblem {
                    // Listed all the same: one unreadable dataset must not hide the rest of the file.
                    lines.append(line)
                    lines.append("\(indent)  values not read: \(problem.message)")
                    continue
                }
                if count > 0 && count <= statisticsLimit, let stats = try statistics(file, info.path, shape, info.elementType) {
                    line += "  " + stats
                }
                lines.append(line)
            }
            for name in info.attributes.keys.sorted() {
                lines.append("\(indent)  @\(name) = \(info.attributes[name]!)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Layout and filters, when they are not the plain contiguous default.
    private static func storageText(_ info: H5ObjectInfo) -> String {
        var parts: [String] = []
        if let layout = info.layout, layout != .contiguous { parts.append(layout.rawValue) }
        parts += info.filters.map(\.description)
        return parts.isEmpty ? "" : "  (" + parts.joined(separator: ", ") + ")"
    }

    private static func statistics(_ file: H5File, _ path: String, _ shape: [Int], _ type: H5ElementType?) throws -> String? {
        guard let type, type == .float64 || type == .float32 else { return nil }
        if shape.isEmpty {
            // A scalar dataset: its one value says more than min/max/mean of one element.
            let value = type == .float64 ? try file.read(path, as: Double.self)[0]
                                         : Double(try file.read(path, as: Float.self)[0])
            return "= \(fmt(value))"
        }
        var lo = Double.infinity, hi = -Double.infinity, sum = 0.0, n = 0, nans = 0
        let frames = shape.count > 1 ? shape[0] : 1
        let frameShape = shape.count > 1 ? [1] + shape.dropFirst() : shape
        for f in 0 ..< frames {
            let offset = shape.count > 1 ? [f] + [Int](repeating: 0, count: shape.count - 1) : [0]
            let values: [Double] = type == .float64
                ? try file.read(path, as: Double.self, offset: offset, count: frameShape)
                : try file.read(path, as: Float.self, offset: offset, count: frameShape).map(Double.init)
            for v in values {
                if v.isNaN { nans += 1; continue }
                lo = min(lo, v); hi = max(hi, v); sum += v; n += 1
            }
        }
        var text = n > 0 ? "min \(fmt(lo)), max \(fmt(hi)), mean \(fmt(sum / Double(n)))" : "all NaN"
        if nans > 0 { text += ", \(nans) NaN" }
        return text
    }

    private static func fmt(_ x: Double) -> String { String(format: "%.6g", x) }

    static func formatBytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }
}
