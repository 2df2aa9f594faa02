import Foundation
import Parallel
import Storage

/// Something whose state goes into a checkpoint and comes back from it exactly.
public protocol Checkpointable {
    /// Writes the state into an open checkpoint file (collective).
    func writeCheckpoint(to file: H5File) throws
    /// Restores the state from a checkpoint file (collective).
    func readCheckpoint(from file: H5File) throws
}

/// `checkpoint.h5` of a run: written atomically (a temporary renamed into place), stamped with the
/// configuration that made it, and refused on `--resume` when the job's configuration differs in
/// a key that is not declared resumable.
public enum CheckpointFile {
    /// The file name inside the output directory.
    public static let fileName = "checkpoint.h5"

    /// Writes a checkpoint of `parts`, in order. Collective.
    public static func write(_ parts: [Checkpointable], context: RunContext) throws {
        let file = try H5File.create(context.outputPath(fileName), communicator: context.communicator)
        do {
            try file.setAttribute("cascade_version", .string(CascadeVersion.current))
            try file.setAttribute("job", .string(context.config.values.tomlDocument))
            try file.setAttribute("config_hash", .string(ConfigFingerprint.hash(context.config.values, fields: context.fields)))
            for part in parts { try part.writeCheckpoint(to: file) }
            try file.close()
        } catch {
            try? file.close()
            throw error
        }
    }

    /// Opens the run's checkpoint, checks that it was made by this job's configuration (keys
    /// declared resumable may differ), and restores `parts`. Collective.
    /// `precheck` runs first, for a kind's own advice (a checkpoint of another grid, say).
    public static func read(_ parts: [Checkpointable], context: RunContext,
                            precheck: (H5File) throws -> Void = { _ in }) throws {
        let file = try H5File.open(context.outputPath(fileName), communicator: context.communicator)
        defer { try? file.close() }
        try precheck(file)
        try verify(file, context: context)
        for part in parts { try part.readCheckpoint(from: file) }
    }

    /// Checks that the open checkpoint `file` was made by this job's configuration, naming the
    /// keys that differ. Collective (every rank reads the same attribute).
    public static func verify(_ file: H5File, context: RunContext) throws {
        try verify(file, path: context.outputPath(fileName), config: context.config, fields: context.fields)
    }

    /// Opens the checkpoint at `path` and checks that it was made by `config` (see
    /// ``verify(_:context:)``); the runner calls it before a resumed run writes anything.
    /// Collective.
    public static func verify(at path: String, config: JobConfig, fields: [ConfigField], communicator: Communicator) throws {
        let file: H5File
        do {
            file = try H5File.open(path, communicator: communicator)
        } catch {
            throw RunError("--resume: cannot open \(path) (\(error)); start afresh without --resume (--overwrite or another --out)")
        }
        defer { try? file.close() }
        try verify(file, path: path, config: config, fields: fields)
    }

    static func verify(_ file: H5File, path: String, config: JobConfig, fields: [ConfigField]) throws {
        let attributes = try file.attributes(of: "/")
        guard case .string(let text)? = attributes["job"] else {
            throw RunError("--resume: \(path) records no job configuration; it was not written by this version of Cascade. Start afresh without --resume")
        }
        let stored = try TOMLParsing.parse(text, source: path)
        let differing = ConfigFingerprint.differences(stored, config.values, fields: fields)
        if !differing.isEmpty {
            let shown = differing.prefix(8).map { key -> String in
                let old = stored.value(at: key)?.tomlLiteral ?? "(absent)"
                let new = config.values.value(at: key)?.tomlLiteral ?? "(absent)"
                return "\(key): \(old) in the checkpoint, \(new) now"
            }
            throw RunError("--resume: \(path) was made by a different configuration (\(shown.joined(separator: "; "))\(differing.count > 8 ? "; …" : "")); only keys documented as resumable (such as time.t_end and output intervals) may change. Restore those keys, or start a new run (--overwrite or another --out)")
        }
    }
}
