import Foundation

/// What `cascade status OUTDIR` reports about a run folder (has `run.json`) or a pipeline folder
/// (has `pipeline.json`), read from its files only: no MPI, so it works on a login node while the
/// run goes on elsewhere.
///
/// A record that says `running` is believed only while the run shows a sign of life: its lock
/// (`.cascade.lock`) is held, or `run.json`, `progress.json` or `cascade.log` changed recently
/// (within ``staleAfter(progressInterval:)``). Otherwise the run was most likely killed without a
/// chance to record it (`kill -9`, a node failure, the scheduler's hard kill) and the state is
/// ``State/presumedDead``.
public struct RunStatus: Codable, Sendable, Equatable {
    /// The state shown, with the exit status of `cascade status`.
    public enum State: String, Codable, Sendable {
        case completed, failed, interrupted, running
        /// The record says running but nothing has moved for far longer than expected.
        case presumedDead = "running?"

        /// `cascade status`'s exit status: 0 completed, 1 failed (or completed with failed
        /// checks), 3 interrupted, 4 running, 5 presumed dead (2, not a run folder, is thrown).
        public var exitStatus: Int32 {
            switch self {
            case .completed: return 0
            case .failed: return 1
            case .interrupted: return 3
            case .running: return 4
            case .presumedDead: return 5
            }
        }
    }

    /// One stage of a pipeline: `pipeline.json`'s entry, with the stage's own run record (which is
    /// authoritative for its status and times) when it has one.
    public struct Stage: Codable, Sendable, Equatable {
        public var name: String
        public var kind: String
        public var directory: String
        /// `pending`, `running`, `completed`, `failed`, `interrupted`, `skipped`, or `running?`.
        public var state: String
        public var started: String?
        public var elapsedSeconds: Double?
        public var progress: ProgressSnapshot?
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case name, kind, directory, state, started, elapsedSeconds = "elapsed_seconds", progress, error
        }
    }

    /// The folder, as given.
    public var directory: String
    public var state: State
    /// `run.json`'s status (`running` also for a presumed-dead run).
    public var recordStatus: String
    public var kind: String
    public var name: String
    public var ranks: Int
    public var hosts: [String]
    public var started: String
    public var finished: String?
    /// Seconds from start to end (a finished run) or to now (a running one).
    public var elapsedSeconds: Double?
    public var resumed: Bool?
    public var succeeded: Bool?
    public var summary: String?
    public var error: String?
    public var progress: ProgressSnapshot?
    /// The latest change to the run's files (run.json, progress.json, cascade.log, pipeline.json).
    public var lastUpdate: String?
    /// Seconds since ``lastUpdate``.
    public var lastUpdateAgeSeconds: Double?
    /// Whether the run's lock is held now (`nil`: no lock file, or it cannot be tested).
    public var lockHeld: Bool?
    /// Who took the lock last (`pid N on HOST`).
    public var lockOwner: String?
    /// The stages of a pipeline folder.
    public var stages: [Stage]?

    enum CodingKeys: String, CodingKey {
        case directory, state, recordStatus = "record_status", kind, name, ranks, hosts, started, finished
        case elapsedSeconds = "elapsed_seconds", resumed, succeeded, summary, error, progress
        case lastUpdate = "last_update", lastUpdateAgeSeconds = "last_update_age_seconds"
        case lockHeld = "lock_held", lockOwner = "lock_owner", stages
    }

    /// `cascade status`'s exit status for this run.
    public var exitStatus: Int32 {
        if state == .completed && succeeded == false { return 1 }
        return state.exitStatus
    }

    /// How long a running run may show no change before it is presumed dead: ten progress
    /// intervals, and at least 5 minutes (a checkpoint or a slow first step prints nothing).
    public static func staleAfter(progressInterval: Double) -> Double {
        max(10 * progressInterval, 300)
    }

    /// Reads the run or pipeline in `directory`. Throws ``RunError`` when it is neither (no
    /// `run.json` nor `pipeline.json`, or an unreadable record): exit status 2.
    public static func read(_ directory: URL, now: Date = Date()) throws -> RunStatus {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RunError("\(directory.path) is not a directory; give the --out folder of a run or pipeline")
        }
        let recordURL = directory.appendingPathComponent(RunRecord.fileName)
        let pipelineURL = directory.appendingPathComponent(PipelineRecord.fileName)
        let hasRecord = fm.fileExists(atPath: recordURL.path)
        let pipeline = fm.fileExists(atPath: pipelineURL.path) ? try PipelineRecord.read(from: directory) : nil
        guard hasRecord || pipeline != nil else {
            throw RunError("\(directory.path) holds no \(RunRecord.fileName) or \(PipelineRecord.fileName): not a Cascade run folder (give the --out folder of a run)")
        }
        var status: RunStatus
        if hasRecord {
            status = try single(directory, record: try RunRecord.read(from: directory), now: now)
        } else {
            // A pipeline whose own record is not written yet (or was lost): its state from its stages.
            status = RunStatus(directory: directory.path, state: .running, recordStatus: "running", kind: "pipeline",
                               name: pipeline!.pipeline, ranks: 0, hosts: [], started: "")
        }
        if let pipeline {
            let stages = pipeline.stages.map { stage(of: $0, in: directory, now: now) }
            status.stages = stages
            if !hasRecord {
                status.state = derivedState(stages)
            } else if status.state == .presumedDead && stages.contains(where: { $0.state == "running" }) {
                // The pipeline's own files stay quiet while a stage works: a live stage is its sign of life.
                status.state = .running
            }
        }
        return status
    }

    /// The status of a pipeline stage from its folder (its run record wins over pipeline.json).
    static func stage(of entry: PipelineRecord.Stage, in directory: URL, now: Date) -> Stage {
        var stage = Stage(name: entry.name, kind: entry.kind, directory: entry.directory, state: entry.state.rawValue)
        let folder = directory.appendingPathComponent(entry.directory)
        guard entry.state != .pending,
              let record = try? RunRecord.read(from: folder),
              let run = try? single(folder, record: record, now: now) else { return stage }
        // "skipped" (reused an earlier completed run) is the pipeline's word; keep it.
        if entry.state != .skipped { stage.state = run.state.rawValue }
        stage.started = run.started
        stage.elapsedSeconds = run.elapsedSeconds
        stage.progress = run.state == .completed ? nil : run.progress
        stage.error = run.error
        return stage
    }

    /// A pipeline's state from its stages (when it has no record of its own).
    static func derivedState(_ stages: [Stage]) -> State {
        let states = Set(stages.map(\.state))
        if states.contains("failed") { return .failed }
        if states.contains("running") { return .running }
        if states.contains("running?") { return .presumedDead }
        if states.contains("interrupted") { return .interrupted }
        if states.isSubset(of: ["completed", "skipped"]) { return .completed }
        return .running
    }

    /// The status of one run folder from its record, progress file, lock and file times.
    static func single(_ directory: URL, record: RunRecord, now: Date) throws -> RunStatus {
        var status = RunStatus(directory: directory.path, state: .running, recordStatus: record.status.rawValue,
                               kind: record.kind, name: record.name, ranks: record.ranks, hosts: record.hosts,
                               started: record.started)
        status.finished = record.finished
        status.resumed = record.resumed
        status.succeeded = record.succeeded
        status.summary = record.summary
        status.error = record.error
        let startDate = parseISO8601(record.started)
        // A progress file older than this run's start is an earlier attempt's (before a resume).
        if let progress = ProgressSnapshot.read(from: directory),
           let updated = parseISO8601(progress.updated), startDate.map({ updated >= $0.addingTimeInterval(-1) }) ?? true {
            status.progress = progress
        }
        let lastUpdate = latestChange(in: directory, progress: status.progress)
        if let lastUpdate {
            status.lastUpdate = iso8601(lastUpdate)
            status.lastUpdateAgeSeconds = max(0, now.timeIntervalSince(lastUpdate))
        }
        (status.lockHeld, status.lockOwner) = lockState(directory.appendingPathComponent(OutputDirectory.lockName))
        switch record.status {
        case .completed: status.state = .completed
        case .failed: status.state = .failed
        case .interrupted: status.state = .interrupted
        case .running:
            let limit = staleAfter(progressInterval: progressInterval(in: directory))
            let quiet = (status.lastUpdateAgeSeconds ?? .infinity) > limit
            status.state = quiet && status.lockHeld != true ? .presumedDead : .running
        }
        if let elapsed = record.elapsedSeconds {
            status.elapsedSeconds = elapsed
        } else if let startDate {
            // A presumed-dead run ran until its last sign of life, not until now.
            let end = status.state == .presumedDead ? (lastUpdate ?? now) : now
            status.elapsedSeconds = max(0, end.timeIntervalSince(startDate))
        }
        return status
    }

    /// `run.progress_interval` from the run's `job.toml` (10 s when it cannot be read).
    static func progressInterval(in directory: URL) -> Double {
        let fallback = CommonParameters().progressInterval
        guard let text = try? String(contentsOf: directory.appendingPathComponent("job.toml"), encoding: .utf8),
              let config = try? TOMLParsing.parse(text, source: "job.toml") else { return fallback }
        switch config.value(at: "run.progress_interval") {
        case .double(let v)?: return v
        case .int(let v)?: return Double(v)
        default: return fallback
        }
    }

    /// The newest of the times the run's files last changed, and progress.json's own time stamp.
    static func latestChange(in directory: URL, progress: ProgressSnapshot?) -> Date? {
        var dates: [Date] = []
        for name in [RunRecord.fileName, ProgressSnapshot.fileName, "cascade.log", PipelineRecord.fileName] {
            let path = directory.appendingPathComponent(name).path
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
               let modified = attributes[.modificationDate] as? Date { dates.append(modified) }
        }
        if let progress, let updated = parseISO8601(progress.updated) { dates.append(updated) }
        return dates.max()
    }

    /// Whether someone holds the run's lock (tested with a non-blocking shared flock that is
    /// released at once), and what the lock file says about its owner.
    static func lockState(_ url: URL) -> (held: Bool?, owner: String?) {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (nil, nil) }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let n = pread(fd, &bytes, 255, 0)
        let owner = n > 0 ? String(decoding: bytes[0 ..< n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : nil
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return (false, owner)
        }
        return (errno == EWOULDBLOCK ? true : nil, owner)
    }
}

/// Parses an ISO 8601 time stamp with or without fractional seconds.
func parseISO8601(_ text: String) -> Date? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    if let d = f.date(from: text) { return d }
    f.formatOptions = [.withInternetDateTime]
    return f.date(from: text)
}
