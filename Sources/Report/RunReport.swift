import Foundation
import JobKit

/// `cascade report`: one self-contained HTML page (`report.html`) for a run folder (with
/// `run.json`) or a pipeline folder (with `pipeline.json`): configuration, provenance and the
/// plots of each kind's outputs, with dygraphs inlined so the page opens offline.
public enum RunReport {
    /// The page's file name inside the folder.
    public static let fileName = "report.html"

    /// What ``render(for:)`` wrote and what it could not show.
    public struct Result: Sendable {
        /// The page.
        public let url: URL
        /// Things the page reports as missing or unreadable (also shown on it), for the command line.
        public let problems: [String]
        /// The run (or a stage of the pipeline) had not finished when the page was made.
        public let incomplete: Bool
    }

    /// Writes `directory/report.html` atomically and returns its URL.
    public static func write(for directory: URL) throws -> URL { try render(for: directory).url }

    /// Writes `directory/report.html` atomically; throws ``ReportError`` when the folder is not a
    /// run or pipeline folder. Unreadable outputs do not stop it: the page says what is missing.
    public static func render(for directory: URL) throws -> Result {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError("\(directory.path): no such folder; give the --out folder of a run or pipeline")
        }
        let page = ReportPage()
        let title: String
        let incomplete: Bool
        if fm.fileExists(atPath: directory.appendingPathComponent(PipelineRecord.fileName).path) {
            let pipeline: PipelineRecord
            do { pipeline = try PipelineRecord.read(from: directory) } catch { throw ReportError("\(error)") }
            title = "pipeline \(pipeline.pipeline)"
            incomplete = PipelineSection.render(pipeline, in: directory, on: page)
        } else if fm.fileExists(atPath: directory.appendingPathComponent(RunRecord.fileName).path) {
            let record = try readRecord(in: directory)
            title = "\(record.kind) \(record.name)"
            page.html("<h1>\(escapeHTML(record.kind)) · \(escapeHTML(record.name))</h1>")
            RunSection.render(record, in: directory, on: page)
            incomplete = record.status == .running
        } else {
            throw ReportError("\(directory.path) has neither run.json nor pipeline.json: give the --out folder of a `cascade run` (report writes nothing else)")
        }
        let url = directory.appendingPathComponent(fileName)
        do {
            try AtomicFile.write(Data(PageTemplate.render(title: title, page: page).utf8), to: url)
        } catch {
            throw ReportError("cannot write \(url.path): \(error)")
        }
        return Result(url: url, problems: page.problems, incomplete: incomplete)
    }

    static func readRecord(in directory: URL) throws -> RunRecord {
        do { return try RunRecord.read(from: directory) } catch { throw ReportError("\(error)") }
    }
}
