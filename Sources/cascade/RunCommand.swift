import ArgumentParser
import Foundation
import JobCatalog
import JobKit
import Logging
import Parallel
import Report

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a job file on every rank (start it with mpirun or srun for several ranks).",
        discussion: """
            The job file is validated on every rank before any work starts; a bad file gets one \
            error naming the key and the fix, exit status 2, and nothing is written.
            Outputs go to --out (default runs/NAME): the job's files plus job.toml (the resolved \
            configuration) and run.json (version, ranks, hosts, start/end times, status).
            """)

    @Argument(help: "The job file (TOML), e.g. jobs/selftest.toml.")
    var job: String

    @Option(name: .long, help: "Output directory (default: runs/NAME, NAME from the job).")
    var out: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a key of the job file, e.g. --set fft.effort=measure. Repeatable.", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(help: "Reuse an output directory that already holds a run.")
    var overwrite = false

    @Flag(help: "Continue the run in --out from its latest checkpoint (checkpoint.h5); the job file may extend time.t_end.")
    var resume = false

    @Option(name: .customLong("only"), help: ArgumentHelp("Pipelines: run only this stage (its inputs must exist already).", valueName: "stage"))
    var onlyStage: String?

    @Option(name: .customLong("from"), help: ArgumentHelp("Pipelines: rerun this stage and every stage after it.", valueName: "stage"))
    var fromStage: String?

    @Option(help: "Log level: trace, debug, info, warning, error.")
    var logLevel: String = "info"

    @Flag(help: "Print info lines from every rank, not only rank 0.")
    var allRanks = false

    func validate() throws {
        if resume && overwrite { throw ValidationError("--resume continues a run and --overwrite replaces it: give one of them") }
        if onlyStage != nil && fromStage != nil { throw ValidationError("--only runs one stage and --from the stages from one on: give one of them") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The stages `--only`/`--from` select (refused by the loader for kinds without stages).
    var stageSelection: StageSelection {
        if let onlyStage { return .only(onlyStage) }
        if let fromStage { return .from(fromStage) }
        return .all
    }

    func run() throws {
        let world = Communicator.world
        let level = Logger.Level(rawValue: logLevel)!
        let logger = Logger(label: "cascade") { _ in
            RankLogHandler(rank: world.rank, size: world.size, level: level, allRanks: allRanks)
        }
        let loaded: LoadedJob
        do {
            let hosts = try world.allgather(MPIEnvironment.shared.processorName)
            let ranksHere = hosts.filter { $0 == MPIEnvironment.shared.processorName }.count
            let perNode = try world.allreduce(ranksHere, .max)
            loaded = try JobLoader.load(path: job, overrides: overrides, communicator: world, ranksPerNode: perNode,
                                        kinds: JobCatalog.kinds, stageSelection: stageSelection)
        } catch let error as JobFileError {
            if world.isRoot { Console.error("error: \(error)\n") }
            MPIEnvironment.finalizeIfNeeded()
            throw ExitCode(2)
        }
        if let out, out.isEmpty {
            if world.isRoot { Console.error("error: --out is empty (fix: give a directory, e.g. --out runs/\(loaded.name))\n") }
            MPIEnvironment.finalizeIfNeeded()
            throw ExitCode(2)
        }
        let directory = URL(fileURLWithPath: out ?? "runs/\(loaded.name)")
        // Pipelines (report = true) end with OUT/report.html, written by module Report.
        let runner = JobRunner(job: loaded, outputDirectory: directory, overwrite: overwrite, overrides: overrides,
                               communicator: world, logger: logger, resume: resume, reportWriter: { try RunReport.write(for: $0) })
        let status: Int32
        do {
            status = try runner.run()
        } catch let error as RunError {
            if world.isRoot { Console.error("error: \(error)\n") }
            MPIEnvironment.finalizeIfNeeded()
            throw ExitCode(2)
        }
        Console.flush()
        MPIEnvironment.finalizeIfNeeded()
        if status != 0 { throw ExitCode(status) }
    }
}
