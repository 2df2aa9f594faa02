import JobKit

/// The keys of a pipeline job file: its stages and whether to write the report.
public struct PipelineParameters: ParameterSet {
    @Required("stages", .count(1 ... 100),
              doc: "The stages, in order: [[stages]] tables with `name` (a folder name), `job` (a job file's path, relative to the pipeline file's folder, or an inline [stages.job] table with its own `kind`), optional `set = [\"key=value\", …]`, [stages.inputs] (`\"key\" = \"stage:file\"`: a key of the stage's job set to a file an earlier stage writes; an array of such strings sets a list key) and `depends_on` (docs/pipelines.md).")
    public var stages: ConfigTables
    @Parameter("report", doc: "Write OUT/report.html (the report of every stage) after the last stage.")
    public var report = true

    public init() {}
}
