import Foundation

/// `OUT/pipeline.json` of a pipeline folder: the stages in order, what each depends on and reads,
/// its hash and the pipeline's view of its state. The pipeline kind writes it (atomically, rank 0,
/// whenever a stage changes state); `cascade status` and `cascade report` read it. A stage's own
/// `run.json` stays authoritative for its status and times.
public struct PipelineRecord: Codable, Sendable, Equatable {
    /// One stage's entry.
    public struct Stage: Codable, Sendable, Equatable {
        /// pending (not run yet), running, completed, failed, interrupted, or skipped (its folder
        /// already held a completed run with the same hash).
        public enum State: String, Codable, Sendable { case pending, running, completed, failed, interrupted, skipped }

        public var name: String
        public var kind: String
        /// The stage's folder, relative to the pipeline folder.
        public var directory: String
        public var dependsOn: [String]
        /// Stage key → `producer:file` it reads.
        public var inputs: [String: String]
        /// Hash of the stage's resolved configuration and of the stages it depends on.
        public var hash: String
        public var state: State

        enum CodingKeys: String, CodingKey {
            case name, kind, directory, dependsOn = "depends_on", inputs, hash, state
        }

        public init(name: String, kind: String, directory: String, dependsOn: [String], inputs: [String: String],
                    hash: String, state: State) {
            self.name = name
            self.kind = kind
            self.directory = directory
            self.dependsOn = dependsOn
            self.inputs = inputs
            self.hash = hash
            self.state = state
        }

        /// Lenient about the optional parts (a hand-made or older file may leave them out).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            kind = try c.decode(String.self, forKey: .kind)
            directory = try c.decode(String.self, forKey: .directory)
            dependsOn = try c.decodeIfPresent([String].self, forKey: .dependsOn) ?? []
            inputs = try c.decodeIfPresent([String: String].self, forKey: .inputs) ?? [:]
            hash = try c.decodeIfPresent(String.self, forKey: .hash) ?? ""
            state = try c.decode(State.self, forKey: .state)
        }
    }

    /// The pipeline's name.
    public var pipeline: String
    public var stages: [Stage]

    /// The file name inside a pipeline folder.
    public static let fileName = "pipeline.json"

    public init(pipeline: String, stages: [Stage]) {
        self.pipeline = pipeline
        self.stages = stages
    }

    /// Writes the record atomically into `directory`.
    public func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self) + Data("\n".utf8), to: directory.appendingPathComponent(Self.fileName))
    }

    /// Reads the record of the pipeline folder `directory`, naming the file in the error.
    public static func read(from directory: URL) throws -> PipelineRecord {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunError("\(url.path) does not exist or cannot be read")
        }
        do {
            return try JSONDecoder().decode(PipelineRecord.self, from: data)
        } catch {
            throw RunError("\(url.path) is not a Cascade pipeline record: \(error)")
        }
    }
}
