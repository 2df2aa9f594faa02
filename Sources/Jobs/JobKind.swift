import Parallel

/// A kind of job: its schema, how it checks a configuration, and how it runs.
///
/// `run` is collective: every rank calls it with the same configuration. Kinds use the
/// science and numerics modules; they never call MPI or HDF5 C APIs themselves.
public protocol JobKind {
    /// The schema: keys, types, defaults and docs.
    static var schema: JobSchema { get }

    /// Checks that go beyond single keys (for example a grid that must split over the
    /// ranks). Runs on every rank before any output is made. Default: no extra checks.
    static func problems(in config: JobConfig, ranks: Int) -> [ConfigProblem]

    /// Whether `cascade run --resume` can continue this kind from its latest checkpoint.
    static var supportsResume: Bool { get }

    /// Builds the job from a validated configuration.
    init(config: JobConfig) throws

    /// Runs the job; returns a one-paragraph summary printed by rank 0 at the end.
    func run(in context: RunContext) throws -> JobOutcome
}

extension JobKind {
    public static func problems(in config: JobConfig, ranks: Int) -> [ConfigProblem] { [] }
    public static var supportsResume: Bool { false }
}

/// How a job ended, as reported in the run record.
public struct JobOutcome: Sendable {
    /// Whether the job's own checks passed (a selftest can complete and still fail).
    public var succeeded: Bool
    /// A short human-readable summary.
    public var summary: String
    /// Output files the job wrote, relative to the output directory.
    public var outputs: [String]
    /// The job stopped early on a signal after writing a checkpoint (`cascade run --resume`
    /// continues it); recorded as status `interrupted`, exit status 3.
    public var interrupted: Bool

    public init(succeeded: Bool, summary: String, outputs: [String], interrupted: Bool = false) {
        self.succeeded = succeeded
        self.summary = summary
        self.outputs = outputs
        self.interrupted = interrupted
    }
}

/// Every job kind Cascade knows, by name.
public enum JobRegistry {
    /// The kinds, in the order `cascade describe` lists them.
    public static let kinds: [any JobKind.Type] = [SelftestJob.self, NS2DJob.self, CovarianceJob.self, RMTSweepJob.self]

    /// The kind called `name`, if any.
    public static func kind(named name: String) -> (any JobKind.Type)? {
        kinds.first { $0.schema.kind == name }
    }

    /// All kind names.
    public static var names: [String] { kinds.map { $0.schema.kind } }
}
