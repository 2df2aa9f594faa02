import Foundation
import JobKit

/// `pipeline.json` as common.md defines it: the pipeline's stages in order, with their folders
/// and states (a stage's own run.json is authoritative for its status and times).
struct PipelineSummary: Decodable {
    struct Stage: Decodable {
        var name: String
        var kind: String
        var directory: String
        var dependsOn: [String]?
        var inputs: [String: String]?
        var hash: String?
        var state: String

        enum CodingKeys: String, CodingKey {
            case name, kind, directory, dependsOn = "depends_on", inputs, hash, state
        }
    }

    var pipeline: String
    var stages: [Stage]

    static let fileName = "pipeline.json"

    static func read(from directory: URL) throws -> PipelineSummary {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ReportError("\(url.path) cannot be read")
        }
        do {
            return try JSONDecoder().decode(PipelineSummary.self, from: data)
        } catch {
            throw ReportError("\(url.path) is not a Cascade pipeline summary: \(error)")
        }
    }
}

/// A pipeline folder's page: the pipeline's own record, a stage table linking to each stage's
/// section, then the stages in order, each as a run's section.
enum PipelineSection {
    /// Renders the page; returns whether some stage (or the pipeline) had not finished.
    static func render(_ pipeline: PipelineSummary, in directory: URL, on page: ReportPage) -> Bool {
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
            let state = record.map { stage.state == "skipped" ? "skipped (\($0.status.rawValue))" : $0.status.rawValue } ?? stage.state
            if state == "running" || stage.state == "running" { incomplete = true }
            rows.append([stage.name, stage.kind, state, record?.elapsedSeconds.map { fmt($0, 3) + " s" } ?? "–",
                         record?.started ?? "–", (stage.dependsOn ?? []).joined(separator: ", ")])
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
            if let inputs = stage.inputs, !inputs.isEmpty {
                page.paragraph("inputs: " + inputs.keys.sorted().map { "\($0) ← \(inputs[$0]!)" }.joined(separator: "; "))
            }
            guard let record else {
                page.paragraph("state \(stage.state): no run record in \(stage.directory)/ yet.", className: "muted")
                continue
            }
            RunSection.render(record, in: folder, on: page)
        }
        return incomplete
    }
}
