import Foundation
import JobKit
import Logging
import Parallel

/// One stage run in its folder through ``JobRunner`` (the same code path as `cascade run`),
/// with its log also written to `cascade.log` there. Collective.
struct StageRun {
    enum Ending: Equatable {
        case completed
        case interrupted
        /// The one error to report: the stage, its error and its log.
        case failed(String)
    }

    let stage: ResolvedStage
    let directory: URL
    let resume: Bool
    let communicator: Communicator
    let level: Logger.Level

    static let logName = "cascade.log"

    func execute() throws -> Ending {
        let comm = communicator
        let logPath = directory.appendingPathComponent(StageRun.logName).path
        // Rank 0 prepares the folder: the old hash goes first, so a run that does not end
        // (or does not start) never leaves the folder looking up to date.
        var sink: StageLogFileHandler.Sink? = nil
        var hadRun = false
        var problem = ""
        if comm.isRoot {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                StageFolderHash.clear(in: directory)
                hadRun = FileManager.default.fileExists(atPath: directory.appendingPathComponent(RunRecord.fileName).path)
                sink = StageLogFileHandler.Sink(path: logPath, append: resume)
                if sink == nil { problem = "cannot open \(logPath): \(String(cString: strerror(errno)))" }
            } catch { problem = "cannot create the stage folder \(directory.path): \(error.localizedDescription)" }
        }
        problem = try comm.broadcast(problem)
        if !problem.isEmpty { return .failed("stage \(stage.name): \(problem)") }
        hadRun = try comm.broadcast(hadRun ? 1 : 0) == 1
        defer { sink?.close() }
        // The pipeline owns its stage folders: a stage that is not up to date replaces what is there.
        let runner = JobRunner(job: stage.job, outputDirectory: directory, overwrite: hadRun && !resume,
                               overrides: stage.overrides, communicator: comm,
                               logger: stageLogger(console: level, sink: sink, communicator: comm), resume: resume)
        let status: Int32
        var startError = ""
        do {
            status = try runner.run()
        } catch {
            status = 2
            startError = "\(error)"
        }
        if (status == 0 || status == 3) && comm.isRoot { try? StageFolderHash.write(stage.hash, in: directory) }
        switch status {
        case 0: return .completed
        case 3: return .interrupted
        default:
            let detail = try comm.broadcast(comm.isRoot ? describeFailure(startError: startError) : "")
            return .failed("stage \(stage.name) (\(stage.job.config.kind)) failed: \(detail); its log: \(logPath)")
        }
    }

    /// The stage's error from its run.json (rank 0), or why it could not start.
    private func describeFailure(startError: String) -> String {
        if !startError.isEmpty { return "it could not start: \(startError)" }
        guard let record = try? RunRecord.read(from: directory) else { return "no readable run.json in \(directory.path)" }
        if let error = record.error { return error }
        return "its checks failed" + (record.summary.map { ": \($0)" } ?? "")
    }

    /// Stage names `selection` picks, in order.
    static func selected(_ selection: StageSelection, stages: [String]) -> Set<String> {
        switch selection {
        case .all: return Set(stages)
        case .only(let s): return [s]
        case .from(let s):
            guard let i = stages.firstIndex(of: s) else { return [] }
            return Set(stages[i...])
        }
    }

    /// The problem with `--only/--from STAGE` when STAGE is not a stage.
    static func selectionProblem(_ selection: StageSelection, stages: [String]) -> ConfigProblem? {
        let name: String
        switch selection {
        case .all: return nil
        case .only(let s), .from(let s): name = s
        }
        guard !stages.contains(name) else { return nil }
        let hint = nearestSpelling(of: name, among: stages).map { "did you mean \"\($0)\"? " } ?? ""
        return ConfigProblem(path: "stages", message: "\(selection): the pipeline has no stage \"\(name.prefix(80))\"",
                             fix: hint + "its stages: " + stages.joined(separator: ", "))
    }
}
