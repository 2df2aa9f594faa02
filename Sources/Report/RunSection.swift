import Foundation
import JobKit

/// One run's part of a page: provenance and configuration, then the plots of its kind.
enum RunSection {
    static func render(_ record: RunRecord, in directory: URL, on page: ReportPage) {
        Provenance.render(record, in: directory, on: page)
        do {
            switch record.kind {
            case "ns2d": try NS2DSection.render(directory, record, on: page)
            case "covariance": try CovarianceSection.render(directory, record, on: page)
            case "rmt-sweep": try SweepSection.render(directory, record, on: page)
            case "train": try TrainSection.render(directory, record, on: page)
            case "wide-sweep": try WideSweepSection.render(directory, record, on: page)
            case "selftest": SelftestSection.render(record, on: page)
            default: FileListing.render(directory, record, on: page)
            }
        } catch {
            page.problem("\(error)")
        }
        // Kinds with plots also list their files' datasets, collapsed (unknown kinds show them in full).
        if ["ns2d", "covariance", "rmt-sweep", "train", "wide-sweep"].contains(record.kind) {
            FileListing.renderCollapsed(directory, record, on: page)
        }
    }
}

/// The header of a run: status with colour, times, ranks and hosts, summary, warnings, error,
/// progress while it runs, and the resolved job.toml (collapsed).
enum Provenance {
    static func render(_ r: RunRecord, in directory: URL, on page: ReportPage) {
        page.html("<p><span class=\"badge status-\(r.status.rawValue)\">\(r.status.rawValue)</span> \(escapeHTML(r.kind)) “\(escapeHTML(r.name))”</p>")
        if r.status == .running {
            page.html("<p class=\"notice\">This run had not finished when the page was made (run.json says running): the page shows what its files held then. If no process is running it any more, it was killed without a chance to record how it ended. Run <code>cascade report</code> again to update.</p>")
        }
        var rows: [[String]] = [
            ["cascade version", r.cascadeVersion],
            ["job file", r.jobFile + (r.overrides.isEmpty ? "" : "  with --set " + r.overrides.joined(separator: " "))],
            ["ranks", "\(r.ranks) on \(r.hosts.joined(separator: ", "))"],
            ["MPI", r.mpiLibrary],
            ["started", r.started],
            ["finished", r.finished ?? "–"],
            ["elapsed", r.elapsedSeconds.map { fmt($0, 4) + " s" } ?? "–"],
            ["configuration hash", r.configHash],
        ]
        if r.resumed == true { rows.append(["resumed", "yes, from a checkpoint"]) }
        if let outputs = r.outputs { rows.append(["outputs", outputs.joined(separator: ", ")]) }
        if let progress = ProgressSnapshot.read(in: directory), r.status == .running {
            rows.append(["progress", progress.text])
        }
        page.table(["", ""], rows)
        if let error = r.error { page.problem("error: \(error)") }
        for warning in r.warnings ?? [] { page.html("<p class=\"notice\">warning: \(escapeHTML(warning))</p>") }
        if let summary = r.summary { page.preformatted(summary) }
        if let toml = try? String(contentsOf: directory.appendingPathComponent("job.toml"), encoding: .utf8) {
            page.collapsible("configuration (job.toml, resolved)", text: toml)
        }
    }
}

/// `progress.json` (common.md): how far a running job is, written by its ProgressReporter.
struct ProgressSnapshot: Decodable {
    var label: String
    var unit: String?
    var done: Double
    var total: Double
    var ratePerSecond: Double?
    var etaSeconds: Double?
    var updated: String?

    enum CodingKeys: String, CodingKey {
        case label, unit, done, total, ratePerSecond = "rate_per_second", etaSeconds = "eta_seconds", updated
    }

    static func read(in directory: URL) -> ProgressSnapshot? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("progress.json").path) else { return nil }
        return try? JSONDecoder().decode(ProgressSnapshot.self, from: data)
    }

    var text: String {
        var s = "\(label): \(fmt(done, 6)) of \(fmt(total, 6))"
        if total > 0 { s += String(format: " (%.0f%%)", 100 * done / total) }
        if let eta = etaSeconds { s += ", about \(fmt(eta, 3)) s left" }
        if let updated { s += " (as of \(updated))" }
        return s
    }
}
