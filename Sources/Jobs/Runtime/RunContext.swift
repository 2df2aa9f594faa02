import Foundation
import Logging
import Parallel

/// What a running job gets: its ranks, its output directory, a logger and its configuration.
public struct RunContext {
    /// All ranks of the job.
    public let communicator: Communicator
    /// The directory every output goes into (exists on all ranks when the job starts).
    public let outputDirectory: URL
    /// Logs with time and rank; info lines from rank 0 only.
    public let logger: Logger
    /// The validated configuration.
    public let config: JobConfig
    /// The run's name.
    public let name: String
    /// Continue from the checkpoint in the output directory (`cascade run --resume`).
    public let resume: Bool

    public init(communicator: Communicator, outputDirectory: URL, logger: Logger, config: JobConfig, name: String,
                resume: Bool = false) {
        self.communicator = communicator
        self.outputDirectory = outputDirectory
        self.logger = logger
        self.config = config
        self.name = name
        self.resume = resume
    }

    /// The path of an output file in the output directory.
    public func outputPath(_ fileName: String) -> String {
        outputDirectory.appendingPathComponent(fileName).path
    }

    /// A progress reporter for `total` units of work, at the job's `run.progress_interval`.
    public func progress(_ label: String, total: Int, unit: String) -> ProgressReporter {
        ProgressReporter(label: label, total: total, unit: unit, interval: config.double("run.progress_interval"),
                         logger: logger, isRoot: communicator.isRoot)
    }
}
