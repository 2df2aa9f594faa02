/// Keys every job file may have, whatever its kind.
public struct CommonParameters: ParameterSet {
    @Required("kind", doc: "Which job to run (see `cascade describe`).")
    public var kind: String
    @Parameter("name", doc: "A name for the run, used in logs and output attributes; defaults to the job file's name.")
    public var name = ""
    @Parameter("description", resumable: true, doc: "Free text kept with the outputs.")
    public var description = ""
    @Parameter("run.progress_interval", .above(0, atMost: 86_400), resumable: true,
               doc: "Seconds between progress lines on rank 0.")
    public var progressInterval = 10.0
    @Parameter("run.walltime_limit", .atLeast(0, atMost: 1e7), resumable: true,
               doc: "Wall-clock seconds after which a time-stepping job checkpoints and stops as interrupted (status 3), ready for `--resume`; 0: no limit. Set it a few minutes below the scheduler's limit.")
    public var walltimeLimit = 0.0

    public init() {}
}
