import Parallel

/// A job built from its parameters, ready to run on every rank.
public protocol Job {
    /// Runs the job (collective: every rank calls it); returns how it ended.
    func run(in context: RunContext) throws -> JobOutcome
}

/// A kind of job: its typed parameters, the checks that go beyond single keys, the files it
/// writes, and how it runs.
///
/// Adding a kind is one module with a type conforming to this protocol and one line in
/// `JobCatalog` (see docs/jobs.md). Kinds use the science and numerics modules and JobKit; they
/// never import each other and never call MPI or HDF5 C APIs themselves.
public protocol JobKind: Job {
    /// The kind's parameters: a struct of ``Parameter`` declarations.
    associatedtype Parameters: ParameterSet

    /// The `kind = "…"` value that selects this kind.
    static var name: String { get }
    /// One line on what the kind does.
    static var summary: String { get }
    /// Whether `cascade run --resume` can continue this kind from its latest checkpoint.
    static var supportsResume: Bool { get }

    /// Checks that go beyond single keys (a grid that must split over the ranks, derived counts
    /// that must not overflow). Runs on every rank before any output is made. Default: none.
    static func problems(in parameters: Parameters, ranks: Int) -> [ConfigProblem]

    /// The same checks with more to see (the job file, the other kinds, the selected stages);
    /// what the loader calls. Default: ``problems(in:ranks:)``. Kinds that run other jobs (the
    /// pipeline) implement this one to validate their stages with `validation.kinds`.
    static func problems(in parameters: Parameters, validation: ValidationContext) -> [ConfigProblem]

    /// Whether the kind runs other jobs in subfolders of its output directory (the pipeline).
    /// Such a kind re-enters an output directory that already holds its own earlier run without
    /// `--overwrite` (it skips stages that are done), takes `--resume` without a checkpoint of its
    /// own (it resumes the interrupted stage's), and accepts `cascade run --only/--from`.
    /// Default: false.
    static var runsStages: Bool { get }

    /// Lines `cascade validate` prints after the resolved configuration (a pipeline's resolved
    /// stages). Default: none.
    static func resolvedSummary(_ parameters: Parameters, validation: ValidationContext) -> [String]

    /// Settings that are legal but probably not meant (an empty averaging window); printed by
    /// `cascade validate` and `cascade run` and recorded in run.json. Default: none.
    static func warnings(in parameters: Parameters) -> [String]

    /// The files the job writes into its output directory, as the parameters name them. They are
    /// checked against each other and Cascade's reserved names before the run, and removed by
    /// `--overwrite`.
    static func outputNames(_ parameters: Parameters) -> [String]

    /// The largest memory one rank needs, estimated before anything is allocated.
    static func memoryEstimate(_ parameters: Parameters, ranks: Int) -> MemoryEstimate

    /// Builds the job from decoded parameters.
    init(parameters: Parameters) throws
}

extension JobKind {
    public static func problems(in parameters: Parameters, ranks: Int) -> [ConfigProblem] { [] }
    public static func warnings(in parameters: Parameters) -> [String] { [] }
    public static func problems(in parameters: Parameters, validation: ValidationContext) -> [ConfigProblem] {
        problems(in: parameters, ranks: validation.ranks)
    }
    public static var supportsResume: Bool { false }
    public static var runsStages: Bool { false }
    public static func resolvedSummary(_ parameters: Parameters, validation: ValidationContext) -> [String] { [] }
    public static func memoryEstimate(_ parameters: Parameters, ranks: Int) -> MemoryEstimate { MemoryEstimate() }

    /// The schema the validator and `cascade describe` use: the common keys and the kind's.
    public static var schema: JobSchema { JobSchema(kind: name, summary: summary, fields: Parameters.fields) }

    // Type-erased entry points for the loader and runner (which hold `any JobKind.Type`).

    static func checkedProblems(_ config: JobConfig, validation: ValidationContext) -> [ConfigProblem] {
        let p = Parameters.decode(config)
        return problems(in: p, validation: validation) + OutputDirectory.problems(outputNames: outputNames(p))
    }

    static func declaredSummary(_ config: JobConfig, validation: ValidationContext) -> [String] {
        resolvedSummary(Parameters.decode(config), validation: validation)
    }

    static func declaredOutputs(_ config: JobConfig) -> [String] { outputNames(Parameters.decode(config)) }

    static func declaredWarnings(_ config: JobConfig) -> [String] { warnings(in: Parameters.decode(config)) }

    static func estimatedMemory(_ config: JobConfig, ranks: Int) -> MemoryEstimate {
        memoryEstimate(Parameters.decode(config), ranks: ranks)
    }

    static func makeJob(_ config: JobConfig) throws -> any Job { try Self(parameters: Parameters.decode(config)) }
}

/// How a job ended, as reported in the run record.
public struct JobOutcome: Sendable {
    /// Whether the job's own checks passed (a selftest can complete and still fail).
    public var succeeded: Bool
    /// A short human-readable summary.
    public var summary: String
    /// Output files the job wrote, relative to the output directory.
    public var outputs: [String]
    /// The job stopped early on a signal or its wall-time limit after writing a checkpoint
    /// (`cascade run --resume` continues it); recorded as status `interrupted`, exit status 3.
    public var interrupted: Bool
    /// Things the user should know about the results (recorded in run.json).
    public var warnings: [String]
    /// Ask the runner to write `report.html` once the run record is final (so the page shows
    /// how the run ended); done by rank 0 through ``JobRunner/reportWriter`` when one is wired.
    public var writeReport: Bool

    public init(succeeded: Bool, summary: String, outputs: [String], interrupted: Bool = false, warnings: [String] = [],
                writeReport: Bool = false) {
        self.writeReport = writeReport
        self.succeeded = succeeded
        self.summary = summary
        self.outputs = outputs
        self.interrupted = interrupted
        self.warnings = warnings
    }
}
