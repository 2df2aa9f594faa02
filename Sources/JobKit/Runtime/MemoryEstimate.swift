import Foundation

/// The memory one rank of a job will need, by item, estimated from the parameters before
/// anything is allocated, so that a job that cannot fit is refused with the keys to change.
public struct MemoryEstimate: Sendable {
    /// One allocation (or group of them).
    public struct Item: Sendable {
        public var what: String
        public var bytes: Double
        /// The keys that make it large.
        public var keys: [String]
    }

    public private(set) var items: [Item] = []

    public init() {}

    /// Adds `count` elements of `bytesPerElement` bytes. Counts are taken as Double so that
    /// absurd requests (1e9 × 65536) are measured, not overflowed.
    public mutating func add(_ what: String, elements count: Double, bytesPerElement: Double = 8, keys: [String]) {
        items.append(Item(what: what, bytes: count * bytesPerElement, keys: keys))
    }

    /// Total bytes per rank.
    public var bytes: Double { items.reduce(0) { $0 + $1.bytes } }

    /// What a node offers one rank: the node's memory over the ranks sharing it. The node's memory
    /// is MemTotal of /proc/meminfo, or `CASCADE_MEMORY_LIMIT` (bytes) when set (for tests and for
    /// schedulers' memory limits).
    public static func available(ranksPerNode: Int) -> Double {
        var total = 0.0
        if let v = ProcessInfo.processInfo.environment["CASCADE_MEMORY_LIMIT"], let b = Double(v), b > 0 {
            total = b
        } else if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
                  let kb = Double(line.split(separator: " ").dropFirst().first ?? "") {
            total = kb * 1024
        } else {
            return .infinity
        }
        return total / Double(max(ranksPerNode, 1))
    }

    /// A problem when the estimate exceeds 90% of `available` bytes, naming the largest item's
    /// keys and how much would fit.
    public func problems(available: Double, ranksPerNode: Int) -> [ConfigProblem] {
        let budget = 0.9 * available
        guard bytes > budget, let largest = items.max(by: { $0.bytes < $1.bytes }) else { return [] }
        let fraction = budget / bytes
        return [ConfigProblem(path: largest.keys.first,
            message: "the job needs about \(formatBytes(bytes)) per rank (\(largest.what): \(formatBytes(largest.bytes))) but a rank has \(formatBytes(available)) (\(ranksPerNode) rank(s) on this node)",
            fix: "reduce \(largest.keys.map { "`\($0)`" }.joined(separator: " or ")) to about \(String(format: "%.2g", fraction)) of the memory it takes now, use more nodes, or fewer ranks per node")]
    }
}

/// `1.5 GB`, `320 MB`, `12 kB`.
public func formatBytes(_ bytes: Double) -> String {
    if !bytes.isFinite { return "∞" }
    if bytes >= 1e12 { return String(format: "%.3g TB", bytes / 1e12) }
    if bytes >= 1e9 { return String(format: "%.3g GB", bytes / 1e9) }
    if bytes >= 1e6 { return String(format: "%.3g MB", bytes / 1e6) }
    if bytes >= 1e3 { return String(format: "%.3g kB", bytes / 1e3) }
    return String(format: "%.0f B", bytes)
}
