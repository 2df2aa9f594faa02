import Foundation
import Logging
import Parallel

/// Runs a loaded job on every rank: prepares the output directory, records the run,
/// calls the kind, and records how it ended.
///
/// Files in the output directory:
/// - `job.toml`: the resolved configuration (defaults and `--set` overrides applied); running
///   `cascade run job.toml` repeats the run.
/// - `run.json`: the run record: Cascade version, kind, name, rank count, hosts, MPI library,
///   start and end times, status (`running`, `completed`, `failed`), summary and outputs.
public struct JobRunner {
    public let job: LoadedJob
    public let outputDirectory: URL
    public let overwrite: Bool
    public let overrides: [String]
    public let communicator: Communicator
    public let logger: Logger
    /// Continue the run in `outputDirectory` from its checkpoint.
    public let resume: Bool

    public init(job: LoadedJob, outputDirectory: URL, overwrite: Bool, overrides: [String],
                communicator: Communicator, logger: Logger, resume: Bool = false) {
        self.resume = resume
        self.job = job
        self.outputDirectory = outputDirectory
        self.overwrite = overwrite
        self.overrides = overrides
        self.communicator = communicator
        self.logger = logger
    }

    /// Runs the job; returns the process exit status (0 when the job completed and succeeded).
    public func run() throws -> Int32 {
        let comm = communicator
        // 1. Output directory: decided on rank 0, outcome shared, before any heavy work.
        var problem = ""
        if resume && !job.kind.supportsResume {
            throw RunError("--resume: \(job.config.kind) jobs have no checkpoints to resume from; run without --resume")
        }
        if comm.isRoot { problem = resume ? checkResumableDirectory() : prepareOutputDirectory() }
        problem = try comm.broadcast(problem)
        if !problem.isEmpty { throw RunError(problem) }

        let hosts = try comm.allgather(MPIEnvironment.shared.processorName)
        let started = Date()
        var record: [String: Any] = [
            "cascade_version": CascadeVersion.current,
            "kind": job.config.kind,
            "name": job.name,
            "job_file": job.path,
            "overrides": overrides,
            "ranks": comm.size,
            "hosts": Array(Set(hosts)).sorted(),
            "mpi_library": MPIEnvironment.shared.libraryVersion,
            "started": iso8601(started),
            "status": "running",
        ]
        if comm.isRoot {
            try AtomicFile.write(job.config.values.tomlDocument, to: outputDirectory.appendingPathComponent("job.toml"))
            try writeRecord(record)
        }
        logger.info("cascade \(CascadeVersion.current): \(job.config.kind) job \"\(job.name)\" on \(comm.size) rank(s), \(Set(hosts).count) host(s)")
        logger.info("output directory: \(outputDirectory.path)")

        // 2. The job itself. Errors that every rank sees (the usual case: collective I/O)
        //    are recorded; an error on some ranks only would leave the others waiting in a
        //    collective forever, so then the job is aborted with the failing rank named.
        let context = RunContext(communicator: comm, outputDirectory: outputDirectory, logger: logger,
                                 config: job.config, name: job.name, resume: resume)
        var outcome: JobOutcome
        var failure: String? = nil
        do {
            outcome = try job.kind.init(config: job.config).run(in: context)
        } catch {
            failure = StorageAdvice.describe(error)
            outcome = JobOutcome(succeeded: false, summary: "failed: \(failure!)", outputs: [])
            if comm.size > 1, !(try comm.barrier(timeout: 60)) {
                MPIEnvironment.shared.abort("\(job.config.kind) job failed: \(error)")
            }
        }
        // Every rank must agree on success.
        let anyFailed = try comm.allreduce(outcome.succeeded && failure == nil ? 0 : 1, .max)
        let finished = Date()
        record["finished"] = iso8601(finished)
        record["elapsed_seconds"] = finished.timeIntervalSince(started)
        record["status"] = failure != nil ? "failed" : (outcome.interrupted ? "interrupted" : "completed")
        if resume { record["resumed"] = true }
        record["succeeded"] = anyFailed == 0
        record["summary"] = outcome.summary
        record["outputs"] = outcome.outputs
        if let failure { record["error"] = failure }
        if comm.isRoot { try writeRecord(record) }
        if let failure {
            logger.error("job failed after \(ProgressReporter.formatDuration(finished.timeIntervalSince(started))): \(failure)")
        } else {
            logger.info("\(outcome.summary)")
            logger.info("\(anyFailed == 0 ? "finished" : "finished with FAILED checks") in \(ProgressReporter.formatDuration(finished.timeIntervalSince(started))); run record: \(outputDirectory.appendingPathComponent("run.json").path)")
        }
        if failure == nil && outcome.interrupted { return 3 }
        return anyFailed == 0 ? 0 : 1
    }

    /// `--resume` needs the directory of an earlier run with a checkpoint. Returns a problem, or "".
    private func checkResumableDirectory() -> String {
        let checkpoint = outputDirectory.appendingPathComponent("checkpoint.h5")
        guard FileManager.default.fileExists(atPath: checkpoint.path) else {
            return "--resume: \(checkpoint.path) does not exist; run without --resume to start afresh (or point --out at the interrupted run)"
        }
        return ""
    }

    /// Creates the output directory; refuses one that already holds a run unless `overwrite`.
    /// Returns a problem description, or "" when ready.
    private func prepareOutputDirectory() -> String {
        let fm = FileManager.default
        let record = outputDirectory.appendingPathComponent("run.json")
        if fm.fileExists(atPath: record.path) && !overwrite {
            return "output directory \(outputDirectory.path) already holds a run (run.json); choose another --out or pass --overwrite"
        }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: outputDirectory.path, isDirectory: &isDir) && !isDir.boolValue {
            return "--out \(outputDirectory.path) is a file, not a directory"
        }
        do {
            try fm.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            return "cannot create output directory \(outputDirectory.path): \(error.localizedDescription)"
        }
        return ""
    }

    private func writeRecord(_ record: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys])
        try AtomicFile.write(data + Data("\n".utf8), to: outputDirectory.appendingPathComponent("run.json"))
    }
}

func iso8601(_ date: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: date)
}
