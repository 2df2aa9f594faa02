/// What a kind's cross-key checks may see beyond its own parameters: the rank count, the job
/// file, the other kinds (so a kind that runs other jobs, the pipeline, can validate them) and
/// the stages `cascade run --only/--from` selected. Passed in by ``JobLoader``; never global.
public struct ValidationContext {
    /// Ranks the job will run on.
    public let ranks: Int
    /// Ranks sharing one node's memory (nil: all of them).
    public let ranksPerNode: Int?
    /// The job file's path as given (kinds that read other files resolve them relative to it).
    public let jobFile: String
    /// Every kind the loader knows (the catalog's), injected rather than looked up globally.
    public let kinds: [any JobKind.Type]
    /// The stages to run, for kinds with stages (``JobKind/runsStages``).
    public let stageSelection: StageSelection

    public init(ranks: Int, ranksPerNode: Int? = nil, jobFile: String, kinds: [any JobKind.Type],
                stageSelection: StageSelection = .all) {
        self.ranks = ranks
        self.ranksPerNode = ranksPerNode
        self.jobFile = jobFile
        self.kinds = kinds
        self.stageSelection = stageSelection
    }
}

/// Which stages a job with stages runs: `cascade run --only STAGE` or `--from STAGE`.
public enum StageSelection: Sendable, Equatable, CustomStringConvertible {
    /// Every stage (completed ones with an unchanged hash are skipped).
    case all
    /// This stage only (its inputs must exist already).
    case only(String)
    /// This stage and every stage after it in the file's order.
    case from(String)

    public var description: String {
        switch self {
        case .all: return "all stages"
        case .only(let s): return "--only \(s)"
        case .from(let s): return "--from \(s)"
        }
    }
}
