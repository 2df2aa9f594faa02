import Foundation
import Logging
import Parallel

/// Runs a loaded job on every rank: prepares the output directory, records the run,
/// calls the kind, and records how it ended.
///
/// Files in the output directory:
/// - `job.toml`: the resolved configuration (defaults and `--set` overrides applied); running
///   `cascade run job.toml` repeats the run.
/// - `run.json`: the ``RunRecord``.
/// - `.cascade.lock`: held (flock) while a run writes into the directory.
public struct JobRunner {
    public let job: LoadedJob
    public let outputDirectory: URL
    public let overwrite: Bool
    public let overrides: [String]
    public let communicator: Communicator
    public let logger: Logger
    /// Continue the run in `outputDirectory` from its checkpoint.
    public let resume: Bool
    /// Passed to the job as ``RunContext/reportWriter`` (the pipeline writes its report with it).
    public let reportWriter: ReportWriter?

    public init(job: LoadedJob, outputDirectory: URL, overwrite: Bool, overrides: [String],
                communicator: Communicator, logger: Logger, resume: Bool = false, reportWriter: ReportWriter? = nil) {
        self.reportWriter = reportWriter
        self.resume = resume
        self.job = job
        self.outputDirectory = outputDirectory
        self.overwrite = overwrite
        self.overrides = overrides
        self.communicator = communicator
        self.logger = logger
    }

    /// Runs the job; returns the process exit status (0 when the job completed and succeeded,
    /// 1 when it failed, 3 when it was interrupted with a checkpoint to resume from).
    /// Throws ``RunError`` (exit status 2) when the run cannot start; nothing is written then.
    public func run() throws -> Int32 {
        let comm = communicator
        if resume && !job.kind.supportsResume {
            throw RunError("--resume: \(job.config.kind) jobs have no checkpoints to resume from; run without --resume")
        }
        // 1. Output directory: decided on rank 0 under an exclusive lock, outcome shared, before
        //    any heavy work.
        var lock: OutputDirectory.Lock? = nil
        var problem = ""
        var notes: [String] = []
        if comm.isRoot {
            do { (lock, notes) = try prepareOutputDirectory() } catch { problem = "\(error)" }
        }
        problem = try comm.broadcast(problem)
        if !problem.isEmpty { throw RunError(problem) }
        defer { lock?.release() }
        // A checkpoint of another configuration is refused before the run's records are
        // rewritten, so the interrupted run stays as it was (job.toml, run.json).
        if resume && !job.kind.runsStages {
            try CheckpointFile.verify(at: outputDirectory.appendingPathComponent(CheckpointFile.fileName).path,
                                      config: job.config, fields: job.kind.schema.allFields, communicator: comm)
        }

        let hosts = try comm.allgather(MPIEnvironment.shared.processorName)
        let started = Date()
        let fields = job.kind.schema.allFields
        var record = RunRecord(
            cascadeVersion: CascadeVersion.current, kind: job.config.kind, name: job.name, jobFile: job.path,
            overrides: overrides, ranks: comm.size, hosts: Array(Set(hosts)).sorted(),
            mpiLibrary: MPIEnvironment.shared.libraryVersion, started: iso8601(started), status: .running,
            configHash: ConfigFingerprint.hash(job.config.values, fields: fields),
            plannedOutputs: job.outputs)
        if resume { record.resumed = true }
        // Handlers first: a signal that arrives once run.json says "running" is seen by the
        // watchdog (or the job), never left to the default action that would end the process
        // with the record still "running".
        StopSignal.install()
        problem = ""
        if comm.isRoot {
            do {
                try AtomicFile.write(job.config.values.tomlDocument, to: outputDirectory.appendingPathComponent("job.toml"))
                try record.write(to: outputDirectory)
            } catch { problem = "\(error)" }
        }
        problem = try comm.broadcast(problem)
        if !problem.isEmpty { throw RunError(problem) }
        logger.info("cascade \(CascadeVersion.current): \(job.config.kind) job \"\(job.name)\" on \(comm.size) rank(s), \(Set(hosts).count) host(s)")
        logger.info("output directory: \(outputDirectory.path)")
        for note in notes { logger.info("\(note)") }

        let watchdog = SignalWatchdog(record: record, directory: outputDirectory, writesRecord: comm.isRoot,
                                      cooperative: job.kind.supportsResume)
        watchdog.start()

        // 2. The job itself. Errors that every rank sees (the usual case: collective I/O)
        //    are recorded; an error on some ranks only would leave the others waiting in a
        //    collective forever, so then the job is aborted with the failing rank named.
        let context = RunContext(communicator: comm, outputDirectory: outputDirectory, logger: logger,
                                 config: job.config, fields: fields, name: job.name, resume: resume,
                                 kinds: job.kinds, stageSelection: job.stageSelection, overwrite: overwrite, jobFile: job.path,
                                 reportWriter: reportWriter)
        var outcome: JobOutcome
        var failure: String? = nil
        do {
            outcome = try job.kind.makeJob(job.config).run(in: context)
        } catch {
            failure = StorageAdvice.describe(error)
            outcome = JobOutcome(succeeded: false, summary: "failed: \(failure!)", outputs: [])
            if comm.size > 1, !(try comm.barrier(timeout: 60)) {
                if comm.isRoot { writeFailure(&record, started: started, failure: "\(error) (other ranks did not respond)") }
                watchdog.standDown()
                MPIEnvironment.shared.abort("\(job.config.kind) job failed: \(error)")
            }
        }
        watchdog.standDown()
        // Every rank must agree on success.
        let anyFailed = try comm.allreduce(outcome.succeeded && failure == nil ? 0 : 1, .max)
        let finished = Date()
        record.finished = iso8601(finished)
        record.elapsedSeconds = finished.timeIntervalSince(started)
        record.status = failure != nil ? .failed : (outcome.interrupted ? .interrupted : .completed)
        record.succeeded = anyFailed == 0
        record.summary = outcome.summary
        record.outputs = outcome.outputs
        if !outcome.warnings.isEmpty { record.warnings = outcome.warnings }
        if let failure { record.error = failure }
        if comm.isRoot { try record.write(to: outputDirectory) }
        // Printed once: by the lowest rank that failed (rank 0 when the error was collective).
        let firstFailing = try comm.allreduce(failure != nil ? comm.rank : Int.max, .min)
        if let failure {
            if comm.rank == firstFailing {
                logger.error("job failed after \(ProgressReporter.formatDuration(finished.timeIntervalSince(started))): \(failure)")
            }
        } else {
            logger.info("\(outcome.summary)")
            // The same on every rank: printed by rank 0 only.
            if comm.isRoot { for w in outcome.warnings { logger.warning("\(w)") } }
            logger.info("\(anyFailed == 0 ? "finished" : "finished with FAILED checks") in \(ProgressReporter.formatDuration(finished.timeIntervalSince(started))); run record: \(outputDirectory.appendingPathComponent(RunRecord.fileName).path)")
        }
        // The report after the final record (and last in the log), so it shows the run's real end. A report that
        // cannot be written is a warning: the run's results stand.
        if failure == nil && outcome.writeReport, comm.isRoot {
            if let reportWriter {
                do { let page = try reportWriter(outputDirectory); logger.info("report: \(page.path)") } catch {
                    logger.warning("report not written: \(error) (the run's results stand; retry with `cascade report \(outputDirectory.path)`)")
                }
            } else {
                logger.info("report: no report writer in this build; skipped")
            }
        }
        if failure == nil && outcome.interrupted { return 3 }
        return anyFailed == 0 ? 0 : 1
    }

    private func writeFailure(_ record: inout RunRecord, started: Date, failure: String) {
        let now = Date()
        record.finished = iso8601(now)
        record.elapsedSeconds = now.timeIntervalSince(started)
        record.status = .failed
        record.succeeded = false
        record.error = failure
        try? record.write(to: outputDirectory)
    }

    /// Creates the output directory and locks it; refuses one that already holds a run unless
    /// `overwrite` (which removes that run's files) or `resume` (which needs its checkpoint).
    /// Returns the lock and notes for the log.
    private func prepareOutputDirectory() throws -> (OutputDirectory.Lock, [String]) {
        let fm = FileManager.default
        if let p = OutputDirectory.problems(path: outputDirectory.path).first { throw RunError(p.description) }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: outputDirectory.path, isDirectory: &isDir) && !isDir.boolValue {
            throw RunError("--out \(outputDirectory.path) is a file, not a directory; choose a directory")
        }
        do {
            try fm.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        } catch {
            throw RunError("cannot create output directory \(outputDirectory.path): \(error.localizedDescription)")
        }
        let lock = try OutputDirectory.Lock(directory: outputDirectory)
        var notes: [String] = []
        // The files this run writes, whose stale temporaries are removed.
        let ownNames = Set(job.outputs).union(OutputDirectory.reservedNames).union([CheckpointFile.fileName])
        let hasRun = fm.fileExists(atPath: outputDirectory.appendingPathComponent(RunRecord.fileName).path)
        if job.kind.runsStages && hasRun && !overwrite {
            // A kind with stages re-enters its own earlier run (that is how completed stages are
            // skipped); another kind's run there is refused as usual.
            let previous = try? RunRecord.read(from: outputDirectory)
            guard previous?.kind == job.config.kind else {
                throw RunError("output directory \(outputDirectory.path) already holds a \(previous?.kind ?? "unreadable") run (run.json), not a \(job.config.kind) run; choose another --out, or pass --overwrite to replace it")
            }
            notes.append("reusing \(outputDirectory.path): stages whose run record is completed with the same hash are skipped")
        } else if resume && job.kind.runsStages {
            guard hasRun else {
                throw RunError("--resume: \(outputDirectory.path) holds no run (run.json) to resume; run without --resume to start afresh (or point --out at the interrupted run)")
            }
        } else if resume {
            let checkpoint = outputDirectory.appendingPathComponent("checkpoint.h5")
            guard fm.fileExists(atPath: checkpoint.path) else {
                throw RunError("--resume: \(checkpoint.path) does not exist; run without --resume to start afresh (or point --out at the interrupted run)")
            }
            let stale = OutputDirectory.removeStaleTemporaries(in: outputDirectory,
                                                               of: ownNames.union(OutputDirectory.filesRecorded(in: outputDirectory)))
            if stale > 0 { notes.append("removed \(stale) temporary file(s) left by the interrupted run") }
        } else if hasRun {
            guard overwrite else {
                throw RunError("output directory \(outputDirectory.path) already holds a run (run.json); choose another --out, pass --overwrite to replace it, or --resume to continue it")
            }
            let removed = try OutputDirectory.removePreviousRun(in: outputDirectory, names: ownNames)
            if !removed.isEmpty { notes.append("--overwrite: removed the previous run's \(removed.joined(separator: ", "))") }
        } else {
            OutputDirectory.removeStaleTemporaries(in: outputDirectory, of: ownNames)
        }
        return (lock, notes)
    }
}
