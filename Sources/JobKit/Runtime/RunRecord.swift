import Foundation

/// `run.json`: what ran, where, when, and how it ended. Written when a run starts (status
/// `running`) and rewritten when it ends, on every path out (completed, failed, interrupted);
/// read back by `--overwrite` (to remove what the earlier run wrote) and by pipelines.
public struct RunRecord: Codable, Sendable, Equatable {
    /// How a run ended, or `running` while it runs (or if the process was killed with -9).
    public enum Status: String, Codable, Sendable {
        case running, completed, failed, interrupted
    }

    public var cascadeVersion: String
    public var kind: String
    public var name: String
    public var jobFile: String
    public var overrides: [String]
    public var ranks: Int
    public var hosts: [String]
    public var mpiLibrary: String
    public var started: String
    public var status: Status
    /// Hash of the resolved configuration (``ConfigFingerprint``), to tell runs apart.
    public var configHash: String
    /// The files the job will write (declared before it starts, so `--overwrite` can remove them
    /// even after a crash).
    public var plannedOutputs: [String]
    public var finished: String?
    public var elapsedSeconds: Double?
    public var resumed: Bool?
    public var succeeded: Bool?
    public var summary: String?
    public var outputs: [String]?
    public var error: String?
    public var warnings: [String]?

    /// The file name inside an output directory.
    public static let fileName = "run.json"

    enum CodingKeys: String, CodingKey {
        case cascadeVersion = "cascade_version", kind, name, jobFile = "job_file", overrides, ranks, hosts
        case mpiLibrary = "mpi_library", started, status, configHash = "config_hash", plannedOutputs = "planned_outputs"
        case finished, elapsedSeconds = "elapsed_seconds", resumed, succeeded, summary, outputs, error, warnings
    }

    /// Writes the record atomically into `directory`.
    public func write(to directory: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self) + Data("\n".utf8), to: directory.appendingPathComponent(RunRecord.fileName))
    }

    /// Reads the record of the run in `directory`.
    public static func read(from directory: URL) throws -> RunRecord {
        let url = directory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunError("\(url.path) does not exist or cannot be read")
        }
        do {
            return try JSONDecoder().decode(RunRecord.self, from: data)
        } catch {
            throw RunError("\(url.path) is not a Cascade run record: \(error)")
        }
    }
}

/// An ISO 8601 time stamp with fractional seconds.
public func iso8601(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: date)
}
