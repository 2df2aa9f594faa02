import Foundation

/// `pipeline.json` in a pipeline folder, as far as `cascade status` reads it: the pipeline's name
/// and, per stage, its name, kind, folder and the pipeline's view of its state. (The pipeline kind
/// writes it; a stage's own `run.json` is authoritative for its status and times.)
public struct PipelineFile: Codable, Sendable, Equatable {
    /// One stage's entry.
    public struct Stage: Codable, Sendable, Equatable {
        public var name: String
        public var kind: String
        /// The stage's folder, relative to the pipeline folder.
        public var directory: String
        /// `pending`, `running`, `completed`, `failed`, `interrupted` or `skipped`.
        public var state: String
    }

    /// The pipeline's name.
    public var pipeline: String
    public var stages: [Stage]

    /// The file name inside a pipeline folder.
    public static let fileName = "pipeline.json"

    /// Reads `url`, naming it in the error when it is not a pipeline file.
    public static func read(from url: URL) throws -> PipelineFile {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunError("\(url.path) cannot be read")
        }
        do {
            return try JSONDecoder().decode(PipelineFile.self, from: data)
        } catch {
            throw RunError("\(url.path) is not a Cascade pipeline file: \(error)")
        }
    }
}
