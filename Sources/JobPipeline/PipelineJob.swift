import Foundation
import JobKit
import Logging
import Parallel

/// A chain of jobs run one after another, each in its own folder `OUT/<stage>/` with its own
/// run record and log, later stages reading the files earlier ones wrote (docs/pipelines.md).
///
/// The kinds of the stages are injected (``ValidationContext/kinds`` at validation,
/// ``RunContext/kinds`` at run time): this module imports no other job kind.
public struct PipelineJob: JobKind {
    public typealias Parameters = PipelineParameters
    public static let name = "pipeline"
    public static let summary = "Runs stages (jobs of other kinds) in order, each in OUT/<stage>/, later stages reading earlier stages' files; skips stages that are up to date; writes OUT/report.html."
    public static var supportsResume: Bool { true }
    public static var runsStages: Bool { true }

    let parameters: PipelineParameters

    public init(parameters: PipelineParameters) throws { self.parameters = parameters }

    public static func outputNames(_ p: PipelineParameters) -> [String] { [PipelineRecord.fileName] }

    public static func problems(in p: PipelineParameters, validation: ValidationContext) -> [ConfigProblem] {
        let (stages, problems) = PipelinePlan.resolve(p, validation: validation, outputDirectory: "OUT")
        guard problems.isEmpty else { return problems }
        if let problem = StageRun.selectionProblem(validation.stageSelection, stages: stages.map(\.name)) { return [problem] }
        return []
    }

    public static func resolvedSummary(_ p: PipelineParameters, validation: ValidationContext) -> [String] {
        let (stages, _) = PipelinePlan.resolve(p, validation: validation, outputDirectory: "OUT")
        var lines = ["resolved stages (OUT is the --out directory):"]
        for s in stages {
            lines.append("  \(s.name): \(s.job.config.kind) job from \(s.job.path), in OUT/\(s.name)/, hash \(s.hash)"
                         + (s.spec.dependsOn.isEmpty ? "" : ", after " + s.spec.dependsOn.joined(separator: ", ")))
            for input in s.inputPaths { lines.append("    \(input.key) = \(input.path)") }
            for o in s.spec.overrides { lines.append("    set \(o)") }
            lines.append("    writes " + s.job.outputs.joined(separator: ", "))
        }
        return lines
    }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let out = context.outputDirectory
        let log = context.logger
        let validation = ValidationContext(ranks: comm.size, jobFile: context.jobFile, kinds: context.kinds,
                                           stageSelection: context.stageSelection)
        // Resolved again against the real output directory (validation used "OUT").
        let (stages, problems) = PipelinePlan.resolve(parameters, validation: validation, outputDirectory: out.path)
        if !problems.isEmpty {
            throw RunError("the pipeline's stages changed since validation: " + problems.map(\.description).joined(separator: "; "))
        }
        let selected = StageRun.selected(context.stageSelection, stages: stages.map(\.name))
        var record = PipelineRecord(name: context.name, stages: stages)

        // Rank 0 reads each stage folder once; every rank gets the same verdicts.
        let states = try context.rootComputes {
            stages.map { "\(StageFolderState.of(out.appendingPathComponent($0.name), hash: $0.hash))" }.joined(separator: "\n")
        }.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (i, s) in stages.enumerated() where !selected.contains(s.name) {
            record.stages[i].state = states[i] == "upToDate" ? .skipped : .pending
        }
        try context.rootDecides { try record.write(to: out) }
        // --only/--from: inputs made by stages that will not run must exist already.
        if context.stageSelection != .all {
            try context.rootDecides {
                for s in stages where selected.contains(s.name) {
                    for (input, path) in zip(s.spec.inputs, s.inputPaths) where !selected.contains(input.producer) {
                        guard FileManager.default.fileExists(atPath: path.path) else {
                            throw RunError("\(context.stageSelection): stage \(s.name) reads \(path.key) = \(path.path), which does not exist yet; run stage \(input.producer) first (cascade run \(context.jobFile) --out \(out.path) --from \(input.producer))")
                        }
                    }
                }
            }
        }

        for (i, stage) in stages.enumerated() where selected.contains(stage.name) {
            let forced = context.overwrite || context.stageSelection != .all
            if states[i] == "upToDate" && !forced {
                log.info("stage \(stage.name): up to date (completed with hash \(stage.hash)), skipped")
                record.stages[i].state = .skipped
                try context.rootDecides { try record.write(to: out) }
                continue
            }
            let resume = context.resume && states[i] == "resumable"
            record.stages[i].state = .running
            try context.rootDecides { try record.write(to: out) }
            let run = StageRun(stage: stage, directory: out.appendingPathComponent(stage.name), resume: resume,
                               communicator: comm, level: log.logLevel)
            log.info("stage \(stage.name) (\(stage.job.config.kind)) \(resume ? "resumes from its checkpoint" : "starts") in \(run.directory.path)")
            let ending = try run.execute()
            switch ending {
            case .completed:
                record.stages[i].state = .completed
                try context.rootDecides { try record.write(to: out) }
            case .interrupted:
                record.stages[i].state = .interrupted
                try context.rootDecides { try record.write(to: out) }
                return JobOutcome(succeeded: true, summary: "interrupted in stage \(stage.name); `cascade run \(context.jobFile) --out \(out.path) --resume` continues it from its checkpoint",
                                  outputs: try outputs(stages, record, context), interrupted: true)
            case .failed(let message):
                record.stages[i].state = .failed
                try context.rootDecides { try record.write(to: out) }
                throw RunError(message)
            }
            // A stop signal that arrived as the stage finished: stop before the next one.
            if try StopSignal.requested(comm) != 0, stages[(i + 1)...].contains(where: { selected.contains($0.name) }) {
                return JobOutcome(succeeded: true, summary: "stopped by a signal after stage \(stage.name); `--resume` continues with the next stage",
                                  outputs: try outputs(stages, record, context), interrupted: true)
            }
        }

        let done = record.stages.filter { $0.state == .completed }.count
        let skipped = record.stages.filter { $0.state == .skipped }.count
        // The report (module Report sits above the kinds; the cascade command injects the writer)
        // is written by the runner once the pipeline's run record is final.
        return JobOutcome(succeeded: true, summary: "pipeline \(context.name): \(done) stage(s) ran, \(skipped) up to date",
                          outputs: try outputs(stages, record, context), writeReport: parameters.report)
    }

    /// `pipeline.json` and every completed or skipped stage's outputs as `stage/file` (rank 0
    /// reads the stage records; shared with every rank).
    private func outputs(_ stages: [ResolvedStage], _ record: PipelineRecord, _ context: RunContext) throws -> [String] {
        let joined = try context.rootComputes {
            var names = [PipelineRecord.fileName]
            for (s, line) in zip(stages, record.stages) where [.completed, .skipped, .interrupted].contains(line.state) {
                let r = try? RunRecord.read(from: context.outputDirectory.appendingPathComponent(s.name))
                names += (r?.outputs ?? []).map { s.name + "/" + $0 }
            }
            return names.joined(separator: "\n")
        }
        return joined.split(separator: "\n").map(String.init)
    }
}
