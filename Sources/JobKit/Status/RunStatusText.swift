import Foundation

extension RunStatus {
    /// The human-readable report `cascade status` prints (one block; a line per pipeline stage).
    public func text() -> String {
        var lines: [String] = []
        let hostText = hosts.isEmpty ? "" : ", \(hosts.count == 1 ? "host" : "hosts") \(hosts.joined(separator: " "))"
        let what = kind == "pipeline" ? "pipeline \"\(name)\"" : "\(kind) job \"\(name)\""
        let rankText = ranks > 0 ? " on \(ranks) rank(s)\(hostText)" : ""
        lines.append("\(directory): \(state.rawValue) — \(what)\(rankText)\(resumed == true ? " (resumed)" : "")")
        if state == .presumedDead {
            let since = lastUpdate.map { "\($0) (\(RunStatus.age(lastUpdateAgeSeconds)) ago)" } ?? "it started"
            lines.append("  no sign of life since \(since), probably killed (kill -9 / node failure); resume with --resume")
        }
        if !started.isEmpty {
            var line = "  started   \(started)"
            if let finished { line += ", finished \(finished)" }
            if let elapsedSeconds { line += ", elapsed \(ProgressReporter.formatDuration(elapsedSeconds))" }
            lines.append(line)
        }
        if let progress, state != .completed {
            lines.append("  progress  \(RunStatus.progressText(progress))")
        }
        if state == .running, let lastUpdateAgeSeconds {
            var line = "  updated   \(RunStatus.age(lastUpdateAgeSeconds)) ago"
            if lockHeld == true { line += " (lock held\(lockOwner.map { " by \($0)" } ?? ""))" }
            lines.append(line)
        }
        if completedWithFailedChecks { lines.append("  checks    FAILED") }
        if let summary, state != .running { lines.append("  summary   \(summary)") }
        if let error { lines.append("  error     \(error)") }
        if state == .interrupted { lines.append("  continue  cascade run \(directory)/job.toml --out \(directory) --resume") }
        if let stages {
            let nameWidth = stages.map(\.name.count).max() ?? 0
            let kindWidth = stages.map(\.kind.count).max() ?? 0
            for stage in stages {
                var line = "  \(RunStatus.pad(stage.name, nameWidth))  \(RunStatus.pad(stage.kind, kindWidth))  \(RunStatus.pad(stage.state, 11))"
                if let elapsed = stage.elapsedSeconds { line += "  \(ProgressReporter.formatDuration(elapsed))" }
                if let progress = stage.progress { line += "  \(RunStatus.progressText(progress))" }
                if let error = stage.error { line += "  error: \(error)" }
                while line.hasSuffix(" ") { line.removeLast() }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The status as JSON (`cascade status --json`), keys sorted.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    var completedWithFailedChecks: Bool { state == .completed && succeeded == false }

    /// `time steps: 1200 / 5000 (24%), 40.1/s, ETA 1m35s`.
    static func progressText(_ p: ProgressSnapshot) -> String {
        let percent = String(format: "%.0f", 100 * p.fraction)
        let amount: String
        let rate: String
        if p.unit == ProgressSnapshot.simulatedTimeUnit {
            amount = "t = \(ProgressReporter.formatTime(p.done)) / \(ProgressReporter.formatTime(p.total))"
            rate = "\(ProgressReporter.formatRate(p.ratePerSecond)) time units/s"
        } else {
            amount = "\(Int(p.done)) / \(Int(p.total))"
            rate = "\(ProgressReporter.formatRate(p.ratePerSecond))/s"
        }
        var text = "\(p.label): \(amount) (\(percent)%), \(rate)"
        if p.fraction < 1, let eta = p.etaSeconds { text += ", ETA \(ProgressReporter.formatDuration(eta))" }
        return text
    }

    static func age(_ seconds: Double?) -> String {
        seconds.map { ProgressReporter.formatDuration($0) } ?? "?"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
