import Foundation
import XCTest
@testable import JobKit

/// The pure logic behind run records and output directories: configuration fingerprints,
/// output-name checks, the run record's JSON, what `--overwrite` and a resume remove, the lock.
final class RunRecordTests: XCTestCase {
    let fields = [
        ConfigField("grid.n", .int(), default: .int(32), "grid"),
        ConfigField("physics.viscosity", .double(), default: .double(1e-3), "viscosity"),
        ConfigField("time.t_end", .double(), default: nil, "end", resumable: true),
        ConfigField("output.snapshot_interval", .double(), default: .double(0), "interval", resumable: true),
    ]

    func parse(_ text: String) throws -> ConfigValue { try TOMLParsing.parse(text, source: "test.toml") }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-records-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func touch(_ directory: URL, _ names: [String]) {
        for name in names { XCTAssertTrue(FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data("x".utf8))) }
    }

    func present(_ directory: URL) -> Set<String> {
        Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
    }

    // MARK: ConfigFingerprint

    func testDifferencesIgnoreResumableKeysAndNameTheOthers() throws {
        let a = try parse("[grid]\nn = 32\n[physics]\nviscosity = 0.002\n[time]\nt_end = 1.0\n[output]\nsnapshot_interval = 0.1\n")
        let resumableOnly = try parse("[grid]\nn = 32\n[physics]\nviscosity = 0.002\n[time]\nt_end = 5.0\n[output]\nsnapshot_interval = 0.5\n")
        XCTAssertEqual(ConfigFingerprint.differences(a, resumableOnly, fields: fields), [])
        XCTAssertEqual(ConfigFingerprint.hash(a, fields: fields), ConfigFingerprint.hash(resumableOnly, fields: fields))

        let other = try parse("[grid]\nn = 64\n[physics]\nviscosity = 0.005\n[time]\nt_end = 1.0\n")
        XCTAssertEqual(ConfigFingerprint.differences(a, other, fields: fields), ["grid.n", "physics.viscosity"])
        XCTAssertNotEqual(ConfigFingerprint.hash(a, fields: fields), ConfigFingerprint.hash(other, fields: fields))
    }

    func testDifferencesNameKeysPresentOnOneSideOnly() throws {
        let a = try parse("[grid]\nn = 32\n")
        let b = try parse("[grid]\nn = 32\n[forcing]\ntype = \"white\"\n")
        XCTAssertEqual(ConfigFingerprint.differences(a, b, fields: fields), ["forcing.type"])
        XCTAssertEqual(ConfigFingerprint.differences(b, a, fields: fields), ["forcing.type"])
        XCTAssertEqual(ConfigFingerprint.hash(a, fields: fields).count, 16)
    }

    // MARK: OutputDirectory.problems

    func testOutputNamesAreCheckedAgainstEachOtherAndReservedNames() {
        XCTAssertEqual(OutputDirectory.problems(outputNames: ["sweep.h5", "sweep.csv"]), [])
        for reserved in ["run.json", "job.toml", ".cascade.lock", "report.html"] {
            let p = OutputDirectory.problems(outputNames: ["a.h5", reserved])
            XCTAssertEqual(p.count, 1, reserved)
            XCTAssertTrue(p.first?.message.contains("\"\(reserved)\" is reserved") ?? false, "\(p)")
        }
        let duplicate = OutputDirectory.problems(outputNames: ["a.h5", "b.csv", "a.h5"])
        XCTAssertEqual(duplicate.count, 1)
        XCTAssertTrue(duplicate.first?.message.contains("both called \"a.h5\"") ?? false, "\(duplicate)")
    }

    func testOutputDirectoryPathProblems() {
        XCTAssertEqual(OutputDirectory.problems(path: "").count, 1)
        XCTAssertEqual(OutputDirectory.problems(path: "/tmp/run"), [])
        // ROMIO opens long paths (Storage.PathLimits); only paths near PATH_MAX are refused.
        let deep = "/tmp/" + Array(repeating: String(repeating: "x", count: 200), count: 20).joined(separator: "/")
        XCTAssertEqual(OutputDirectory.problems(path: deep).count, 1)
        XCTAssertEqual(OutputDirectory.problems(path: "/tmp/" + String(repeating: "x", count: 200)), [])
    }

    // MARK: RunRecord

    func sampleRecord() -> RunRecord {
        var r = RunRecord(cascadeVersion: "0.1.0", kind: "ns2d", name: "decay", jobFile: "jobs/ns2d-decay.toml",
                          overrides: ["grid.n=32"], ranks: 2, hosts: ["a", "b"], mpiLibrary: "Open MPI",
                          started: "2026-01-01T00:00:00.000Z", status: .running, configHash: "0123456789abcdef",
                          plannedOutputs: ["snapshots.h5", "checkpoint.h5"])
        r.finished = "2026-01-01T00:01:00.000Z"
        r.elapsedSeconds = 60.5
        r.status = .interrupted
        r.succeeded = true
        r.summary = "interrupted by SIGTERM"
        r.outputs = ["snapshots.h5"]
        r.warnings = ["w"]
        return r
    }

    func testRunRecordRoundTripsThroughRunJSON() throws {
        let dir = try temporaryDirectory()
        let r = sampleRecord()
        try r.write(to: dir)
        XCTAssertEqual(try RunRecord.read(from: dir), r)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("run.json"))) as? [String: Any]
        XCTAssertEqual(json?["status"] as? String, "interrupted")
        XCTAssertEqual(json?["planned_outputs"] as? [String], ["snapshots.h5", "checkpoint.h5"])
        XCTAssertEqual(json?["config_hash"] as? String, "0123456789abcdef")
        XCTAssertNil(json?["error"], "absent optionals are left out")
        XCTAssertEqual(present(dir), ["run.json"], "the atomic write leaves no temporary")
    }

    func testReadingSomethingElseNamesTheFile() throws {
        let dir = try temporaryDirectory()
        XCTAssertThrowsError(try RunRecord.read(from: dir)) { XCTAssertTrue("\($0)".contains("run.json")) }
        touch(dir, ["run.json"])
        XCTAssertThrowsError(try RunRecord.read(from: dir)) { XCTAssertTrue("\($0)".contains("not a Cascade run record")) }
    }

    // MARK: What --overwrite and a resume remove

    func testOverwriteRemovesWhatTheRecordListsAndKeepsTheRest() throws {
        let dir = try temporaryDirectory()
        try sampleRecord().write(to: dir)
        touch(dir, ["job.toml", "snapshots.h5", "checkpoint.h5", "notes.txt", ".snapshots.h5.tmp-12-34", ".mine.tmp-1"])
        let removed = try OutputDirectory.removePreviousRun(in: dir, names: ["rmt.h5"])
        XCTAssertEqual(Set(removed), ["run.json", "job.toml", "snapshots.h5", "checkpoint.h5", ".snapshots.h5.tmp-12-34"])
        XCTAssertEqual(present(dir), ["notes.txt", ".mine.tmp-1"])
    }

    func testOverwriteReadsRecordsOfOlderVersions() throws {
        let dir = try temporaryDirectory()
        // An earlier Cascade wrote no planned_outputs and no config_hash.
        try Data(#"{"kind": "ns2d", "status": "completed", "outputs": ["diagnostics.h5", "snapshots.h5", "checkpoint.h5"]}"#.utf8)
            .write(to: dir.appendingPathComponent("run.json"))
        touch(dir, ["diagnostics.h5", "snapshots.h5", "checkpoint.h5", "rmt.h5"])
        XCTAssertEqual(OutputDirectory.filesRecorded(in: dir), ["diagnostics.h5", "snapshots.h5", "checkpoint.h5"])
        _ = try OutputDirectory.removePreviousRun(in: dir)
        XCTAssertEqual(present(dir), ["rmt.h5"])
    }

    func testOverwriteNeverRemovesNamesOutsideTheDirectory() throws {
        let parent = try temporaryDirectory()
        let dir = parent.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        touch(parent, ["keep.h5"])
        try Data(#"{"planned_outputs": [".", "..", "../keep.h5", "", ".cascade.lock"], "outputs": null}"#.utf8)
            .write(to: dir.appendingPathComponent("run.json"))
        touch(dir, [".cascade.lock"])
        _ = try OutputDirectory.removePreviousRun(in: dir)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: parent.appendingPathComponent("keep.h5").path))
        XCTAssertEqual(present(dir), [".cascade.lock"])
    }

    func testStaleTemporariesAreOnlyThoseOfTheGivenFiles() throws {
        let dir = try temporaryDirectory()
        touch(dir, [".snapshots.h5.tmp-1-2", ".run.json.tmp-7", ".other.h5.tmp-3", "snapshots.h5", ".snapshots.h5.tmp-", ".cascade.lock"])
        let stale = OutputDirectory.staleTemporaries(in: dir, of: ["snapshots.h5", "run.json"]).map(\.lastPathComponent)
        XCTAssertEqual(stale, [".run.json.tmp-7", ".snapshots.h5.tmp-1-2"])
        XCTAssertEqual(OutputDirectory.removeStaleTemporaries(in: dir, of: ["snapshots.h5", "run.json"]), 2)
        XCTAssertEqual(present(dir), [".other.h5.tmp-3", "snapshots.h5", ".snapshots.h5.tmp-", ".cascade.lock"])
    }

    // MARK: The lock

    func testOneLockPerDirectory() throws {
        let dir = try temporaryDirectory()
        let first = try OutputDirectory.Lock(directory: dir)
        XCTAssertThrowsError(try OutputDirectory.Lock(directory: dir)) { error in
            XCTAssertTrue("\(error)".contains("another run (pid \(getpid())"), "\(error)")
            XCTAssertTrue("\(error)".contains("choose another --out"), "\(error)")
        }
        first.release()
        let second = try OutputDirectory.Lock(directory: dir)
        second.release()
    }
}
