import Foundation
import Logging
import XCTest
@testable import JobKit

/// `progress.json` and `cascade status`: the file's format, the states read from run folders
/// (a live run, a finished one, one killed without a record), pipelines from a hand-made
/// fixture, and the exit statuses.
final class RunStatusTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-status-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func record(_ status: RunRecord.Status, started: Date, kind: String = "ns2d") -> RunRecord {
        var r = RunRecord(cascadeVersion: "test", kind: kind, name: "inverse", jobFile: "jobs/x.toml", overrides: [],
                          ranks: 2, hosts: ["node1", "node2"], mpiLibrary: "Open MPI", started: iso8601(started),
                          status: status, configHash: "abc", plannedOutputs: ["snapshots.h5"])
        if status != .running {
            r.finished = iso8601(started.addingTimeInterval(125))
            r.elapsedSeconds = 125
            r.succeeded = status == .completed
            r.summary = "ns2d 64² on 2 rank(s)"
        }
        if status == .failed { r.error = "the solution blew up at t = 3.2" }
        return r
    }

    func progress(done: Double, total: Double = 5000, updated: Date) -> ProgressSnapshot {
        ProgressSnapshot(label: "time steps", unit: ProgressSnapshot.countUnit, done: done, total: total,
                         ratePerSecond: 40, etaSeconds: (total - done) / 40, elapsedSeconds: 30, updated: iso8601(updated))
    }

    /// A run folder with `record`, optionally a progress file, all files dated `filesDated`.
    func runFolder(_ record: RunRecord, progress: ProgressSnapshot? = nil, filesDated: Date, in parent: URL? = nil,
                   named name: String = "run", jobTOML: String? = nil) throws -> URL {
        let dir = try (parent ?? temporaryDirectory()).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try record.write(to: dir)
        if let progress { try progress.write(to: dir.appendingPathComponent(ProgressSnapshot.fileName)) }
        if let jobTOML { try jobTOML.write(to: dir.appendingPathComponent("job.toml"), atomically: true, encoding: .utf8) }
        for file in [RunRecord.fileName, ProgressSnapshot.fileName] {
            try? FileManager.default.setAttributes([.modificationDate: filesDated], ofItemAtPath: dir.appendingPathComponent(file).path)
        }
        return dir
    }

    // MARK: progress.json

    func testProgressFileHasTheSharedFormat() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent(ProgressSnapshot.fileName)
        try progress(done: 1200, updated: Date(timeIntervalSince1970: 1_800_000_000)).write(to: url)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["label", "unit", "done", "total", "rate_per_second", "eta_seconds", "elapsed_seconds", "updated"])
        XCTAssertEqual(object["unit"] as? String, "count")
        XCTAssertEqual(object["done"] as? Double, 1200)
        XCTAssertEqual(object["eta_seconds"] as? Double, 95)
        XCTAssertEqual(object["updated"] as? String, "2027-01-15T08:00:00.000Z")
        XCTAssertEqual(ProgressSnapshot.read(from: dir)?.done, 1200)
        // An unknown ETA is an explicit null, not a missing key.
        var unknown = progress(done: 0, updated: Date())
        unknown.etaSeconds = nil
        try unknown.write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(text.contains("\"eta_seconds\":null"), text)
        XCTAssertNil(ProgressSnapshot.read(from: dir)?.etaSeconds)
        // Nothing half-written is left beside it.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [ProgressSnapshot.fileName])
    }

    func testReporterWritesTheProgressFileWithEachLineAndAtTheEnd() throws {
        let dir = try temporaryDirectory()
        let reporter = ProgressReporter(label: "simulated time", total: 80, unit: .simulatedTime, interval: 1000,
                                        logger: Logger(label: "test"), isRoot: true, directory: dir)
        reporter.update(10.0)   // the first update only starts the clock: no line is due
        XCTAssertNil(ProgressSnapshot.read(from: dir))
        reporter.update(80.0)   // the end always prints, and writes
        let written = try XCTUnwrap(ProgressSnapshot.read(from: dir))
        XCTAssertEqual(written.unit, "simulated_time")
        XCTAssertEqual(written.done, 80)
        XCTAssertEqual(written.total, 80)
        XCTAssertEqual(written.etaSeconds, 0)
        XCTAssertEqual(written.fraction, 1)

        // Other ranks and reporters without a directory write nothing.
        let other = try temporaryDirectory()
        let notRoot = ProgressReporter(label: "steps", total: 1, unit: .count("steps"), interval: 0,
                                       logger: Logger(label: "test"), isRoot: false, directory: other)
        notRoot.update(1)
        XCTAssertNil(ProgressSnapshot.read(from: other))
    }

    func testUnwritableProgressFileDoesNotStopTheRun() {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)")
        let reporter = ProgressReporter(label: "steps", total: 2, unit: .count("steps"), interval: 0,
                                        logger: Logger(label: "test"), isRoot: true, directory: missing)
        reporter.update(1)
        reporter.update(2)   // no throw, no crash: a warning once
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path))
    }

    func testSnapshotOfAReporterCountsTheRateFromTheFirstUpdate() {
        let reporter = ProgressReporter(label: "time steps", total: 5000, unit: .count("steps"), interval: 1,
                                        logger: Logger(label: "test"), isRoot: true)
        let s = reporter.snapshot(done: 1200, from: 0, elapsed: 30)
        XCTAssertEqual(s.ratePerSecond, 40)
        XCTAssertEqual(s.etaSeconds, 95)
        XCTAssertNil(reporter.snapshot(done: 0, elapsed: 0).etaSeconds, "no rate yet, so no ETA")
    }

    // MARK: single runs

    func testRunningRunWithFreshFilesIsRunning() throws {
        let now = Date()
        let dir = try runFolder(record(.running, started: now.addingTimeInterval(-60)),
                                progress: progress(done: 1200, updated: now.addingTimeInterval(-3)), filesDated: now.addingTimeInterval(-3))
        let status = try RunStatus.read(dir, now: now)
        XCTAssertEqual(status.state, .running)
        XCTAssertEqual(status.exitStatus, 4)
        XCTAssertEqual(status.elapsedSeconds ?? 0, 60, accuracy: 0.01)
        XCTAssertEqual(status.lastUpdateAgeSeconds ?? 0, 3, accuracy: 0.01)
        let text = status.text()
        XCTAssertTrue(text.contains("running — ns2d job \"inverse\" on 2 rank(s), hosts node1 node2"), text)
        XCTAssertTrue(text.contains("progress  time steps: 1200 / 5000 (24%), 40/s, ETA 1m35s"), text)
        XCTAssertTrue(text.contains("updated   3.0s ago"), text)
        XCTAssertTrue(text.contains("elapsed 1m00s"), text)
    }

    func testRunningRecordWithoutSignOfLifeIsPresumedDead() throws {
        let now = Date()
        let lastSign = now.addingTimeInterval(-3600)
        let dir = try runFolder(record(.running, started: now.addingTimeInterval(-4000)),
                                progress: progress(done: 1200, updated: lastSign), filesDated: lastSign)
        FileManager.default.createFile(atPath: dir.appendingPathComponent(OutputDirectory.lockName).path,
                                       contents: Data("pid 42 on node1\n".utf8))
        let status = try RunStatus.read(dir, now: now)
        XCTAssertEqual(status.state, .presumedDead)
        XCTAssertEqual(status.exitStatus, 5)
        XCTAssertEqual(status.lockHeld, false)
        XCTAssertEqual(status.lockOwner, "pid 42 on node1")
        // Elapsed until the last sign of life, not until now.
        XCTAssertEqual(status.elapsedSeconds ?? 0, 400, accuracy: 0.01)
        let text = status.text()
        XCTAssertTrue(text.contains(": running? — ns2d job"), text)
        XCTAssertTrue(text.contains("no sign of life since \(iso8601(lastSign)) (1h00m ago), probably killed (kill -9 / node failure); resume with --resume"), text)
    }

    func testHeldLockKeepsAQuietRunRunning() throws {
        let now = Date()
        let dir = try runFolder(record(.running, started: now.addingTimeInterval(-4000)), filesDated: now.addingTimeInterval(-3600))
        // Hold the lock as a running rank 0 does (another open file description: flock conflicts).
        let lock = try OutputDirectory.Lock(directory: dir)
        defer { lock.release() }
        let status = try RunStatus.read(dir, now: now)
        XCTAssertEqual(status.lockHeld, true)
        XCTAssertEqual(status.state, .running)
        XCTAssertTrue(status.text().contains("(lock held by pid \(getpid())"), status.text())
    }

    func testStalenessFollowsTheProgressInterval() throws {
        let now = Date()
        let quiet = now.addingTimeInterval(-400)   // past the 5-minute floor, within 10 × 60 s
        let slow = try runFolder(record(.running, started: now.addingTimeInterval(-1000)), filesDated: quiet,
                                 jobTOML: "kind = \"ns2d\"\n[run]\nprogress_interval = 60.0\n")
        XCTAssertEqual(try RunStatus.read(slow, now: now).state, .running)
        let fast = try runFolder(record(.running, started: now.addingTimeInterval(-1000)), filesDated: quiet,
                                 jobTOML: "kind = \"ns2d\"\n[run]\nprogress_interval = 1.0\n")
        XCTAssertEqual(try RunStatus.read(fast, now: now).state, .presumedDead)
        XCTAssertEqual(RunStatus.staleAfter(progressInterval: 10), 300)
        XCTAssertEqual(RunStatus.staleAfter(progressInterval: 60), 600)
    }

    func testProgressOfAnEarlierAttemptIsIgnored() throws {
        let now = Date()
        // Resumed 10 s ago; progress.json is still the interrupted attempt's.
        let dir = try runFolder(record(.running, started: now.addingTimeInterval(-10)),
                                progress: progress(done: 900, updated: now.addingTimeInterval(-600)), filesDated: now.addingTimeInterval(-10))
        let status = try RunStatus.read(dir, now: now)
        XCTAssertNil(status.progress)
        XCTAssertEqual(status.state, .running)
    }

    func testFinishedRunsAndTheirExitStatuses() throws {
        let now = Date()
        let completed = try RunStatus.read(try runFolder(record(.completed, started: now.addingTimeInterval(-200)),
                                                         progress: progress(done: 5000, updated: now), filesDated: now), now: now)
        XCTAssertEqual(completed.state, .completed)
        XCTAssertEqual(completed.exitStatus, 0)
        XCTAssertTrue(completed.text().contains("elapsed 2m05s"), completed.text())
        XCTAssertFalse(completed.text().contains("progress"), "a finished run shows its summary, not a progress line")

        var checksFailed = record(.completed, started: now.addingTimeInterval(-200))
        checksFailed.succeeded = false
        let failedChecks = try RunStatus.read(try runFolder(checksFailed, filesDated: now), now: now)
        XCTAssertEqual(failedChecks.exitStatus, 1)
        XCTAssertTrue(failedChecks.text().contains("checks    FAILED"))

        let failed = try RunStatus.read(try runFolder(record(.failed, started: now), filesDated: now), now: now)
        XCTAssertEqual(failed.exitStatus, 1)
        XCTAssertTrue(failed.text().contains("error     the solution blew up at t = 3.2"), failed.text())

        let interrupted = try RunStatus.read(try runFolder(record(.interrupted, started: now), filesDated: now), now: now)
        XCTAssertEqual(interrupted.exitStatus, 3)
        XCTAssertTrue(interrupted.text().contains("--resume"), interrupted.text())
    }

    func testJSONCarriesStateAndProgress() throws {
        let now = Date()
        let dir = try runFolder(record(.running, started: now.addingTimeInterval(-60)),
                                progress: progress(done: 1200, updated: now), filesDated: now)
        let json = try RunStatus.read(dir, now: now).json()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(object["state"] as? String, "running")
        XCTAssertEqual(object["ranks"] as? Int, 2)
        XCTAssertEqual((object["progress"] as? [String: Any])?["done"] as? Double, 1200)
        XCTAssertEqual(try JSONDecoder().decode(RunStatus.self, from: Data(json.utf8)).state, .running)
    }

    func testFoldersThatAreNotRunsAreRefusedNamingTheFolder() throws {
        let empty = try temporaryDirectory()
        XCTAssertThrowsError(try RunStatus.read(empty)) { error in
            XCTAssertTrue("\(error)".contains("\(empty.path) holds no run.json or pipeline.json"), "\(error)")
        }
        XCTAssertThrowsError(try RunStatus.read(empty.appendingPathComponent("missing"))) { error in
            XCTAssertTrue("\(error)".contains("is not a directory"), "\(error)")
        }
        try "{\"not\": \"a record\"}".write(to: empty.appendingPathComponent("run.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunStatus.read(empty)) { error in
            XCTAssertTrue("\(error)".contains("is not a Cascade run record"), "\(error)")
        }
    }

    // MARK: pipelines (a hand-made folder in pipeline.json's shared format)

    func pipelineFolder(withOwnRecord: Bool, now: Date) throws -> URL {
        let dir = try temporaryDirectory()
        let pipelineJSON = """
            {"pipeline": "quickstart", "stages": [
               {"name": "simulate", "kind": "ns2d", "directory": "simulate", "depends_on": [],
                "inputs": {}, "hash": "aa", "state": "completed"},
               {"name": "spectrum", "kind": "covariance", "directory": "spectrum", "depends_on": ["simulate"],
                "inputs": {"data.path": "simulate:snapshots.h5"}, "hash": "bb", "state": "running"},
               {"name": "rmt", "kind": "rmt-sweep", "directory": "rmt", "depends_on": ["spectrum"],
                "inputs": {}, "hash": "cc", "state": "pending"}]}
            """
        try pipelineJSON.write(to: dir.appendingPathComponent("pipeline.json"), atomically: true, encoding: .utf8)
        _ = try runFolder(record(.completed, started: now.addingTimeInterval(-300)), filesDated: now, in: dir, named: "simulate")
        _ = try runFolder(record(.running, started: now.addingTimeInterval(-30), kind: "covariance"),
                          progress: ProgressSnapshot(label: "tasks", unit: "count", done: 12, total: 40, ratePerSecond: 0.5,
                                                     etaSeconds: 56, elapsedSeconds: 24, updated: iso8601(now)),
                          filesDated: now, in: dir, named: "spectrum")
        if withOwnRecord {
            var own = record(.running, started: now.addingTimeInterval(-300), kind: "pipeline")
            own.name = "quickstart"
            try own.write(to: dir)
        }
        return dir
    }

    func testPipelineShowsOneLinePerStageFromTheStagesRecords() throws {
        let now = Date()
        let status = try RunStatus.read(try pipelineFolder(withOwnRecord: true, now: now), now: now)
        XCTAssertEqual(status.state, .running)
        XCTAssertEqual(status.stages?.map(\.state), ["completed", "running", "pending"])
        XCTAssertEqual(status.stages?[1].progress?.done, 12)
        let lines = status.text().split(separator: "\n").map(String.init)
        XCTAssertTrue(lines[0].contains("running — pipeline \"quickstart\""), lines[0])
        XCTAssertTrue(lines.contains { $0.hasPrefix("  simulate  ns2d") && $0.contains("completed") && $0.contains("2m05s") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("  spectrum  covariance") && $0.contains("tasks: 12 / 40 (30%), 0.5/s, ETA 56s") }, "\(lines)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("  rmt") && $0.hasSuffix("pending") }, "\(lines)")
    }

    func testQuietPipelineRecordIsAliveWhileAStageRuns() throws {
        let now = Date()
        let dir = try pipelineFolder(withOwnRecord: true, now: now)
        let hourAgo = now.addingTimeInterval(-3600)
        for name in ["run.json", "pipeline.json"] {
            try FileManager.default.setAttributes([.modificationDate: hourAgo], ofItemAtPath: dir.appendingPathComponent(name).path)
        }
        XCTAssertEqual(try RunStatus.read(dir, now: now).state, .running, "the spectrum stage is live")
        // An hour later the stage is silent too: the whole pipeline is presumed dead.
        XCTAssertEqual(try RunStatus.read(dir, now: now.addingTimeInterval(3600)).state, .presumedDead)
    }

    func testPipelineWithoutItsOwnRecordTakesItsStateFromItsStages() throws {
        let now = Date()
        let dir = try pipelineFolder(withOwnRecord: false, now: now)
        XCTAssertEqual(try RunStatus.read(dir, now: now).state, .running)
        // The running stage was killed an hour ago: the pipeline is presumed dead with it.
        let later = now.addingTimeInterval(3600)
        let status = try RunStatus.read(dir, now: later)
        XCTAssertEqual(status.stages?[1].state, "running?")
        XCTAssertEqual(status.state, .presumedDead)
        XCTAssertEqual(RunStatus.derivedState([.init(name: "a", kind: "ns2d", directory: "a", state: "skipped"),
                                               .init(name: "b", kind: "ns2d", directory: "b", state: "completed")]), .completed)
        XCTAssertEqual(RunStatus.derivedState([.init(name: "a", kind: "ns2d", directory: "a", state: "failed")]), .failed)
    }
}
