import Foundation

/// `progress.json` in a run directory: how far the run is, as its latest progress line said.
/// Written atomically by rank 0's ``ProgressReporter`` each time it prints a line and at the end;
/// read by `cascade status` (``RunStatus``), also from a login node while the run goes on.
public struct ProgressSnapshot: Codable, Sendable, Equatable {
    /// What is being done, e.g. `"time steps"` or `"simulated time"`.
    public var label: String
    /// ``countUnit`` or ``simulatedTimeUnit``.
    public var unit: String
    /// How much is done, in `unit`.
    public var done: Double
    /// How much there is to do, in `unit`.
    public var total: Double
    /// Units done per wall-clock second since the reporter started (this process, not the run).
    public var ratePerSecond: Double
    /// Seconds left at that rate; `nil` while the rate is unknown, 0 when done.
    public var etaSeconds: Double?
    /// Seconds since the reporter started.
    public var elapsedSeconds: Double
    /// When this was written (ISO 8601).
    public var updated: String

    /// The file name inside a run directory.
    public static let fileName = "progress.json"
    /// `unit` of counted items (steps, tasks, epochs).
    public static let countUnit = "count"
    /// `unit` of simulated time.
    public static let simulatedTimeUnit = "simulated_time"

    enum CodingKeys: String, CodingKey {
        case label, unit, done, total, ratePerSecond = "rate_per_second", etaSeconds = "eta_seconds"
        case elapsedSeconds = "elapsed_seconds", updated
    }

    public init(label: String, unit: String, done: Double, total: Double, ratePerSecond: Double,
                etaSeconds: Double?, elapsedSeconds: Double, updated: String) {
        self.label = label
        self.unit = unit
        self.done = done
        self.total = total
        self.ratePerSecond = ratePerSecond
        self.etaSeconds = etaSeconds
        self.elapsedSeconds = elapsedSeconds
        self.updated = updated
    }

    /// Every key always present (`eta_seconds` as `null` while unknown), as the shared format says.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encode(unit, forKey: .unit)
        try c.encode(done, forKey: .done)
        try c.encode(total, forKey: .total)
        try c.encode(ratePerSecond, forKey: .ratePerSecond)
        try c.encode(etaSeconds, forKey: .etaSeconds)
        try c.encode(elapsedSeconds, forKey: .elapsedSeconds)
        try c.encode(updated, forKey: .updated)
    }

    /// The fraction done, 0…1 (1 when there is nothing to do).
    public var fraction: Double { total > 0 ? min(max(done / total, 0), 1) : 1 }

    /// Writes the snapshot atomically to `url`.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // JSON has no infinity or NaN: a rate or ETA that is not finite is left out / zero.
        var clean = self
        if !clean.ratePerSecond.isFinite { clean.ratePerSecond = 0 }
        if let eta = clean.etaSeconds, !eta.isFinite { clean.etaSeconds = nil }
        try AtomicFile.write(try encoder.encode(clean) + Data("\n".utf8), to: url)
    }

    /// Reads `progress.json` in `directory`; `nil` when it is missing or unreadable (a run that
    /// has not printed a progress line yet, or a kind without one).
    public static func read(from directory: URL) -> ProgressSnapshot? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(fileName).path) else { return nil }
        return try? JSONDecoder().decode(ProgressSnapshot.self, from: data)
    }
}
