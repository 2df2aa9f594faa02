import Foundation
import JobKit

extension PipelineRecord {
    /// The record of a pipeline about to run: every stage pending.
    init(name: String, stages: [ResolvedStage]) {
        self.init(pipeline: name, stages: stages.map { s in
            Stage(name: s.name, kind: s.job.config.kind, directory: s.name, dependsOn: s.spec.dependsOn,
                  inputs: Dictionary(s.spec.inputs.map { ($0.key, $0.producer + ":" + $0.file) }, uniquingKeysWith: { a, b in a + ", " + b }),
                  hash: s.hash, state: .pending)
        })
    }
}

/// The hash a stage folder's run was made with, kept beside its run.json (`.pipeline-hash`):
/// removed before the stage starts, written when it ends (completed or interrupted), so a
/// folder whose run crashed or started with other settings never passes for up to date.
enum StageFolderHash {
    static let fileName = ".pipeline-hash"

    static func read(in directory: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(fileName).path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func clear(in directory: URL) {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent(fileName))
    }

    static func write(_ hash: String, in directory: URL) throws {
        try AtomicFile.write(Data((hash + "\n").utf8), to: directory.appendingPathComponent(fileName))
    }
}

/// What a stage folder holds, as the next run sees it.
enum StageFolderState: Equatable {
    /// No run, or one that did not end with this hash.
    case stale
    /// A completed, succeeded run with this hash: skip it.
    case upToDate
    /// An interrupted run with this hash and a checkpoint: `--resume` continues it.
    case resumable

    /// Reads `directory`'s run.json and hash file (rank 0).
    static func of(_ directory: URL, hash: String) -> StageFolderState {
        guard StageFolderHash.read(in: directory) == hash, let record = try? RunRecord.read(from: directory) else { return .stale }
        return classify(record, checkpointExists: FileManager.default.fileExists(atPath: directory.appendingPathComponent(CheckpointFile.fileName).path))
    }

    /// The decision for a run record whose hash matched.
    static func classify(_ record: RunRecord, checkpointExists: Bool) -> StageFolderState {
        switch record.status {
        case .completed where record.succeeded == true: return .upToDate
        case .interrupted where checkpointExists: return .resumable
        default: return .stale
        }
    }
}
