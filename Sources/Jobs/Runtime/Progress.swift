import Foundation
import Logging

/// Progress lines with rate and ETA for long loops, printed by rank 0 at most every
/// `interval` seconds (the job file's `run.progress_interval`).
///
/// Cheap to call every iteration: it reads the clock and returns unless a line is due.
public final class ProgressReporter {
    private let label: String
    private let total: Int
    private let unit: String
    private let interval: Double
    private let logger: Logger
    private let start: Double
    private var lastPrint: Double
    private let enabled: Bool

    /// - Parameters:
    ///   - label: what is being done, e.g. `"time steps"`.
    ///   - total: how many units the work has.
    ///   - unit: the unit's name for the rate, e.g. `"steps"`.
    public init(label: String, total: Int, unit: String, interval: Double, logger: Logger, isRoot: Bool) {
        self.label = label
        self.total = total
        self.unit = unit
        self.interval = interval
        self.logger = logger
        self.start = ProgressReporter.now()
        self.lastPrint = start
        self.enabled = isRoot
    }

    /// Reports that `done` of the units are finished; prints when a line is due or at the end.
    public func update(_ done: Int) {
        guard enabled else { return }
        let t = ProgressReporter.now()
        guard t - lastPrint >= interval || done == total else { return }
        lastPrint = t
        logger.info("\(line(done: done, elapsed: t - start))")
    }

    /// The progress line for `done` units after `elapsed` seconds (exposed for tests).
    public func line(done: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let percent = total > 0 ? 100 * Double(done) / Double(total) : 100
        var text = "\(label): \(done)/\(total) (\(String(format: "%.0f", percent))%), "
            + "\(ProgressReporter.formatRate(rate)) \(unit)/s"
        if done < total && rate > 0 {
            text += ", ETA \(ProgressReporter.formatDuration(Double(total - done) / rate))"
        } else if done >= total {
            text += ", done in \(ProgressReporter.formatDuration(elapsed))"
        }
        return text
    }

    static func now() -> Double { Date().timeIntervalSinceReferenceDate }

    static func formatRate(_ r: Double) -> String {
        r >= 100 ? String(format: "%.0f", r) : String(format: "%.3g", r)
    }

    /// `"42s"`, `"3m07s"`, `"2h05m"`.
    public static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return seconds < 10 ? String(format: "%.1fs", seconds) : "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}
