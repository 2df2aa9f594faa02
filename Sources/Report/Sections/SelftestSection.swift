import Foundation
import JobKit

/// selftest: the checks table, read from the run's summary lines ("  PASS  name   0.01 s").
enum SelftestSection {
    static func render(_ record: RunRecord, on page: ReportPage) {
        let rows: [[String]] = (record.summary ?? "").split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard parts.count >= 3, ["PASS", "FAIL", "SKIP"].contains(parts[0]) else { return nil }
            let hasTime = parts.count >= 4 && parts.last == "s"
            let name = parts[1 ..< (hasTime ? parts.count - 2 : parts.count)].joined(separator: " ")
            return [parts[0], name, hasTime ? parts[parts.count - 2] + " s" : ""]
        }
        page.heading("Checks")
        if rows.isEmpty {
            page.paragraph("No check results in run.json's summary.", className: "muted")
        } else {
            page.table(["result", "check", "time"], rows)
        }
    }
}

/// Any other kind (or a kind this report does not know yet): the HDF5 files and their datasets,
/// as `cascade inspect` prints them.
enum FileListing {
    static func hdf5Files(_ directory: URL, _ record: RunRecord) -> [String] {
        let listed = record.outputs ?? record.plannedOutputs
        let found = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".h5") }
        return Array(Set(listed.filter { $0.hasSuffix(".h5") } + found)).sorted().filter { $0 != "checkpoint.h5" }
    }

    static func render(_ directory: URL, _ record: RunRecord, on page: ReportPage) {
        page.heading("Output files")
        let files = hdf5Files(directory, record)
        if files.isEmpty { page.paragraph("No HDF5 outputs.", className: "muted") }
        for name in files {
            let path = directory.appendingPathComponent(name).path
            do {
                page.preformatted(try FileInspector.summary(of: path))
            } catch {
                page.problem("\(path) cannot be read: \(error)")
            }
        }
    }

    /// The same listing, collapsed under a kind's plots.
    static func renderCollapsed(_ directory: URL, _ record: RunRecord, on page: ReportPage) {
        for name in hdf5Files(directory, record) {
            let path = directory.appendingPathComponent(name).path
            if let text = try? FileInspector.summary(of: path, statisticsLimit: 1 << 20) {
                page.collapsible("\(name): datasets and attributes", text: text)
            }
        }
    }
}
