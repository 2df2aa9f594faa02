import Foundation
import Logging
import Parallel

/// Writes the HTML report of a run or pipeline folder (`RunReport.write(for:)`), returning its URL.
public typealias ReportWriter = @Sendable (URL) throws -> URL

/// What a running job gets: its ranks, its output directory, a logger and its configuration.
public struct RunContext {
    /// All ranks of the job.
    public let communicator: Communicator
    /// The directory every output goes into (exists on all ranks when the job starts).
    public let outputDirectory: URL
    /// Logs with time and rank; info lines from rank 0 only.
    public let logger: Logger
    /// The validated configuration (for checkpoints' fingerprints; kinds decode their parameters).
    public let config: JobConfig
    /// The declarations of every key of the kind (to tell resumable keys from the others).
    public let fields: [ConfigField]
    /// The keys every job has.
    public let common: CommonParameters
    /// The run's name.
    public let name: String
    /// Continue from the checkpoint in the output directory (`cascade run --resume`).
    public let resume: Bool
    /// When the run started (MPI wall clock), for the wall-time limit.
    public let startTime: Double
    /// Every kind the job was validated against (injected by the runner from ``LoadedJob/kinds``),
    /// for kinds that run other jobs (the pipeline runs its stages with them).
    public let kinds: [any JobKind.Type]
    /// The stages to run (`cascade run --only/--from`), for kinds with stages.
    public let stageSelection: StageSelection
    /// `cascade run --overwrite` was given (a pipeline then reruns every selected stage).
    public let overwrite: Bool
    /// The job file's path as given (a pipeline resolves its stages' job files against it).
    public let jobFile: String
    /// Writes `directory/report.html` for a run or pipeline folder and returns its URL; injected
    /// by the `cascade` command (module Report sits above JobKit), nil when none is wired.
    public let reportWriter: ReportWriter?

    public init(communicator: Communicator, outputDirectory: URL, logger: Logger, config: JobConfig,
                fields: [ConfigField], name: String, resume: Bool = false, kinds: [any JobKind.Type] = [],
                stageSelection: StageSelection = .all, overwrite: Bool = false, jobFile: String = "",
                reportWriter: ReportWriter? = nil) {
        self.reportWriter = reportWriter
        self.kinds = kinds
        self.stageSelection = stageSelection
        self.overwrite = overwrite
        self.jobFile = jobFile
        self.communicator = communicator
        self.outputDirectory = outputDirectory
        self.logger = logger
        self.config = config
        self.fields = fields
        self.common = config.common
        self.name = name
        self.resume = resume
        self.startTime = MPIEnvironment.wtime()
    }

    /// The path of an output file in the output directory.
    public func outputPath(_ fileName: String) -> String {
        outputDirectory.appendingPathComponent(fileName).path
    }

    /// A progress reporter for `total` units of work, at the job's `run.progress_interval`; it
    /// keeps `progress.json` in the output directory up to date (for `cascade status`).
    public func progress(_ label: String, total: Double, unit: ProgressReporter.Unit) -> ProgressReporter {
        ProgressReporter(label: label, total: total, unit: unit, interval: common.progressInterval,
                         logger: logger, isRoot: communicator.isRoot, directory: outputDirectory)
    }

    /// Rank 0 runs `body` (a check or a write only it does); every rank learns the verdict and
    /// throws the same error if it failed. Collective.
    public func rootDecides(_ body: () throws -> Void) throws {
        _ = try rootComputes { () -> String in try body(); return "" }
    }

    /// Rank 0 runs `body`; every rank gets its string result (a summary, a verdict) or its error.
    /// Collective.
    public func rootComputes(_ body: () throws -> String) throws -> String {
        var problem = "", value = ""
        if communicator.isRoot {
            do { value = try body() } catch { problem = "\(error)" }
        }
        problem = try communicator.broadcast(problem)
        if !problem.isEmpty { throw RunError(problem) }
        return try communicator.broadcast(value)
    }
}
