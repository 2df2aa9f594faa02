import Foundation
import Logging

/// Progress lines with rate and ETA for long loops, in the units of the job (`step 1200 / 5000`,
/// `t = 41.2 / 80`), printed by rank 0 at most every `interval` seconds (`run.progress_interval`).
///
/// Cheap to call every iteration: it reads the clock and returns unless a line is due.
///
/// Given a run directory, it also writes ``ProgressSnapshot/fileName`` (`progress.json`) there,
/// atomically, each time it prints a line and at the end, so `cascade status` can tell on a
/// login node how far a run is and whether it is still alive.
public final class ProgressReporter {
    /// How the amount of work done is shown.
    public enum Unit: Sendable {
        /// Counted items: `tasks 12 / 40`, rate in `name`/s.
        case count(String)
        /// Simulated time: `t = 41.2 / 80`, rate in simulated time per wall-clock second.
        case simulatedTime
    }

    private let label: String
    private let total: Double
    private let unit: Unit
    private let interval: Double
    private let logger: Logger
    private var start: Double
    private var startDone: Double?
    private var lastPrint: Double
    private let enabled: Bool
    private let progressFile: URL?
    /// A failed write of the progress file is logged once; the run goes on without it.
    private var progressFileFailed = false

    /// - Parameters:
    ///   - label: what is being done, e.g. `"time steps"`.
    ///   - total: how much work there is, in `unit`.
    ///   - directory: the run directory to keep `progress.json` in (rank 0 only); `nil` for none.
    public init(label: String, total: Double, unit: Unit, interval: Double, logger: Logger, isRoot: Bool,
                directory: URL? = nil) {
        self.progressFile = directory?.appendingPathComponent(ProgressSnapshot.fileName)
        self.label = label
        self.total = total
        self.unit = unit
        self.interval = interval
        self.logger = logger
        self.start = ProgressReporter.now()
        self.lastPrint = start
        self.enabled = isRoot
    }

    /// Reports that `done` of the work is finished; prints when a line is due or at the end.
    public func update(_ done: Double) {
        guard enabled else { return }
        // A resumed run starts part-way: rates count from the first update.
        if startDone == nil { startDone = done; start = ProgressReporter.now() }
        let t = ProgressReporter.now()
        let finished = done >= total * (1 - 1e-12)
        guard t - lastPrint >= interval || finished else { return }
        lastPrint = t
        logger.info("\(line(done: done, from: startDone ?? 0, elapsed: t - start))")
        writeProgressFile(snapshot(done: done, from: startDone ?? 0, elapsed: t - start))
    }

    /// What `progress.json` holds after `done` units and `elapsed` seconds, the rate counted from
    /// `from` (exposed for tests).
    public func snapshot(done: Double, from: Double = 0, elapsed: Double, now: Date = Date()) -> ProgressSnapshot {
        let rate = elapsed > 0 ? (done - from) / elapsed : 0
        let finished = done >= total * (1 - 1e-12)
        let eta: Double? = finished ? 0 : (rate > 0 ? (total - done) / rate : nil)
        let unitName: String
        switch unit {
        case .count: unitName = ProgressSnapshot.countUnit
        case .simulatedTime: unitName = ProgressSnapshot.simulatedTimeUnit
        }
        return ProgressSnapshot(label: label, unit: unitName, done: done, total: total, ratePerSecond: rate,
                                etaSeconds: eta, elapsedSeconds: elapsed, updated: iso8601(now))
    }

    private func writeProgressFile(_ snapshot: ProgressSnapshot) {
        guard let progressFile, !progressFileFailed else { return }
        do {
            try snapshot.write(to: progressFile)
        } catch {
            // Progress is a convenience for `cascade status`: a full or read-only disk must not
            // stop the run, and one warning is enough.
            progressFileFailed = true
            logger.warning("cannot write \(progressFile.path) (cascade status will not show progress): \(error)")
        }
    }

    /// Reports a count of items.
    public func update(_ done: Int) { update(Double(done)) }

    /// The progress line for `done` units after `elapsed` seconds, counting the rate from `from`
    /// (exposed for tests).
    public func line(done: Double, from: Double = 0, elapsed: Double) -> String {
        let rate = elapsed > 0 ? (done - from) / elapsed : 0
        let percent = total > 0 ? 100 * done / total : 100
        var text: String
        switch unit {
        case .count(let name):
            text = "\(label): \(Int(done)) / \(Int(total)) (\(String(format: "%.0f", percent))%), \(ProgressReporter.formatRate(rate)) \(name)/s"
        case .simulatedTime:
            text = "\(label): t = \(ProgressReporter.formatTime(done)) / \(ProgressReporter.formatTime(total)) (\(String(format: "%.0f", percent))%), \(ProgressReporter.formatRate(rate)) time units/s"
        }
        if done < total * (1 - 1e-12) && rate > 0 {
            text += ", ETA \(ProgressReporter.formatDuration((total - done) / rate))"
        } else if done >= total * (1 - 1e-12) {
            text += ", done in \(ProgressReporter.formatDuration(elapsed))"
        }
        return text
    }

    static func now() -> Double { Date().timeIntervalSinceReferenceDate }

    static func formatRate(_ r: Double) -> String {
        r >= 100 ? String(format: "%.0f", r) : String(format: "%.3g", r)
    }

    static func formatTime(_ t: Double) -> String { String(format: "%.4g", t) }

    /// `"42s"`, `"3m07s"`, `"2h05m"`.
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        if seconds >= 1e9 { return "> 30 years" }
        let s = Int(seconds.rounded())
        if s < 60 { return seconds < 10 ? String(format: "%.1fs", seconds) : "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}
