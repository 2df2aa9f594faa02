import Foundation
import JobKit

/// A pipeline folder's page: the pipeline's own record, a stage table linking to each stage's
/// section, then the stages in order, each as a run's section.
enum PipelineSection {
    /// Renders the page; returns whether some stage (or the pipeline) had not finished.
    static func render(_ pipeline: PipelineRecord, in directory: URL, on page: ReportPage) -> Bool {
        page.html("<h1>pipeline · \(escapeHTML(pipeline.pipeline))</h1>")
        var incomplete = false
        let ownRecord = try? RunReport.readRecord(in: directory)
        if let ownRecord {
            Provenance.render(ownRecord, in: directory, on: page)
            incomplete = ownRecord.status == .running
        }
        var rows: [[String]] = []
        var records: [RunRecord?] = []
        for stage in pipeline.stages {
            let record = try? RunReport.readRecord(in: directory.appendingPathComponent(stage.directory))
            records.append(record)
            let state = record.map { stage.state == .skipped ? "skipped (\($0.status.rawValue))" : $0.status.rawValue } ?? stage.state.rawValue
            if state == "running" || stage.state == .running { incomplete = true }
            rows.append([stage.name, stage.kind, state, record?.elapsedSeconds.map { fmt($0, 3) + " s" } ?? "–",
                         record?.started ?? "–", stage.dependsOn.joined(separator: ", ")])
        }
        page.heading("Stages", level: 2, id: "stages")
        var table = "<table><thead><tr><th>stage</th><th>kind</th><th>state</th><th>elapsed</th><th>started</th><th>after</th></tr></thead><tbody>"
        for (row, stage) in zip(rows, pipeline.stages) {
            let badge = "<span class=\"badge status-\(escapeHTML(row[2].split(separator: " ").first.map(String.init) ?? ""))\">\(escapeHTML(row[2]))</span>"
            table += "<tr><td><a href=\"#stage-\(escapeHTML(stage.name))\">\(escapeHTML(stage.name))</a></td><td>\(escapeHTML(row[1]))</td><td>\(badge)</td>"
                + row[3...].map { "<td>\(escapeHTML($0))</td>" }.joined() + "</tr>"
        }
        page.html(table + "</tbody></table>")
        for (stage, record) in zip(pipeline.stages, records) {
            let folder = directory.appendingPathComponent(stage.directory)
            page.heading("stage \(stage.name) (\(stage.kind))", level: 2, id: "stage-\(stage.name)")
            if !stage.inputs.isEmpty {
                let inputs = stage.inputs
                page.paragraph("inputs: " + inputs.keys.sorted().map { "\($0) ← \(inputs[$0]!)" }.joined(separator: "; "))
            }
            guard let record else {
                page.paragraph("state \(stage.state.rawValue): no run record in \(stage.directory)/ yet.", className: "muted")
                continue
            }
            RunSection.render(record, in: folder, on: page)
        }
        return incomplete
    }
}
