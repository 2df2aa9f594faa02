import XCTest
@testable import JobKit
@testable import JobSelftest
import JobCatalog

final class JobFileTests: XCTestCase {
    let base = """
        kind = "selftest"
        [fft]
        shape_2d = [64, 48]
        effort = "measure"
        [storage]
        frames = 3
        """

    func load(_ text: String, overrides: [String] = [], ranks: Int = 1) throws -> LoadedJob {
        try JobLoader.load(text: text, path: "job.toml", overrides: overrides, ranks: ranks, kinds: JobCatalog.kinds)
    }

    func problems(_ text: String, overrides: [String] = []) -> [ConfigProblem] {
        do {
            _ = try load(text, overrides: overrides)
            XCTFail("expected the job file to be refused")
            return []
        } catch let e as JobFileError {
            return e.problems
        } catch {
            XCTFail("unexpected error \(error)")
            return []
        }
    }

    func testValidFileResolvesDefaultsAndValues() throws {
        let job = try load(base)
        XCTAssertEqual(job.config.kind, "selftest")
        XCTAssertEqual(job.name, "job")   // file stem when `name` is empty
        let p = SelftestParameters.decode(job.config)
        XCTAssertEqual(p.shape2D, [64, 48])
        XCTAssertEqual(p.effort, .measure)
        XCTAssertEqual(p.frames, 3)
        XCTAssertEqual(p.shape3D, [32, 32, 32])        // default
        XCTAssertEqual(job.config.common.progressInterval, 10)     // common default
    }

    func testMisspeltKeySuggestsNearest() {
        let p = problems(base + "\nshaep_2d = [1, 2]\n")  // lands in [storage] table
        XCTAssertEqual(p.count, 1)
        XCTAssertEqual(p.first?.path, "storage.shaep_2d")
        let p2 = problems(base.replacingOccurrences(of: "effort", with: "efort"))
        XCTAssertEqual(p2.first?.path, "fft.efort")
        XCTAssertTrue(p2.first?.fix.contains("fft.effort") ?? false, "\(p2)")
    }

    func testWrongTypeAndRangeNameTheKeyAndExpectation() {
        let p = problems(base.replacingOccurrences(of: "frames = 3", with: "frames = \"three\""))
        XCTAssertEqual(p.first?.path, "storage.frames")
        XCTAssertTrue(p.first?.message.contains("found string") ?? false, "\(p)")
        XCTAssertTrue(p.first?.fix.contains("integer in 1...10000") ?? false, "\(p)")
        let r = problems(base.replacingOccurrences(of: "[64, 48]", with: "[64, 1]"))
        XCTAssertEqual(r.first?.path, "fft.shape_2d")
        XCTAssertTrue(r.first?.message.contains("out of range") ?? false)
        let c = problems(base.replacingOccurrences(of: "\"measure\"", with: "\"mesure\""))
        XCTAssertTrue(c.first?.message.contains("did you mean \"measure\"") ?? false, "\(c)")
    }

    func testAllProblemsReportedTogether() {
        let text = base.replacingOccurrences(of: "frames = 3", with: "frames = 0\nfoo = 1")
        let p = problems(text)
        XCTAssertEqual(Set(p.compactMap(\.path)), ["storage.frames", "storage.foo"])
    }

    func testIntegerAcceptedForFloat() throws {
        let job = try load(base + "\n[run]\nprogress_interval = 2\n")
        XCTAssertEqual(job.config.common.progressInterval, 2.0)
        XCTAssertFalse(problems(base + "\n[run]\nprogress_interval = 0\n").isEmpty)
    }

    func testKindErrors() {
        XCTAssertEqual(problems("name = \"x\"").first?.path, "kind")
        let p = problems("kind = \"selftst\"")
        XCTAssertTrue(p.first?.fix.contains("did you mean \"selftest\"") ?? false, "\(p)")
    }

    func testSyntaxErrorCarriesLine() {
        let p = problems("kind = \"selftest\"\n[fft\n")
        XCTAssertTrue(p.first?.message.contains("line 2") ?? false, "\(p)")
    }

    func testOverrides() throws {
        let job = try load(base, overrides: ["fft.effort=patient", "storage.frames=7", "fft.shape_3d=[8, 8, 8]", "name=run1"])
        let p = SelftestParameters.decode(job.config)
        XCTAssertEqual(p.effort, .patient)   // bare word taken as a string
        XCTAssertEqual(p.frames, 7)
        XCTAssertEqual(p.shape3D, [8, 8, 8])
        XCTAssertEqual(job.name, "run1")
        XCTAssertEqual(problems(base, overrides: ["noequals"]).first?.message.contains("key=value"), true)
        XCTAssertEqual(problems(base, overrides: ["fft.shape_2d=12"]).first?.path, "fft.shape_2d")
    }

    func testResolvedConfigRoundTripsThroughTOML() throws {
        let job = try load("description = \"quotes \\\" and \\\\ and é\\n\"\n" + base)
        let text = job.config.values.tomlDocument
        let again = try JobLoader.load(text: text, path: "job.toml", overrides: [], ranks: 1, kinds: JobCatalog.kinds)
        XCTAssertEqual(again.config.values, job.config.values)
    }

    func testSelftestFileNameCheck() {
        let p = problems(base.replacingOccurrences(of: "frames = 3", with: "file = \"a/b.h5\""))
        XCTAssertEqual(p.first?.path, "storage.file")
    }

    func testShippedJobFilesValidate() throws {
        let jobs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../jobs").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: jobs.path).filter { $0.hasSuffix(".toml") }
        XCTAssertFalse(files.isEmpty)
        for f in files {
            let path = jobs.appendingPathComponent(f).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            do {
                _ = try JobLoader.load(text: text, path: path, overrides: [], ranks: 4, kinds: JobCatalog.kinds)
            } catch let error as JobFileError {
                // A job whose input is another job's output (rmt-turbulence reads the snapshots of
                // ns2d-inverse-cascade under runs/) may miss that file before it runs; and the
                // training examples may use layers or data sources this build does not have yet
                // (said as "not available in this build"); nothing else.
                let acceptable = error.problems.allSatisfy {
                    $0.message.hasPrefix("no such file \"runs/") || $0.message.contains("is not available in this build")
                }
                XCTAssertTrue(acceptable, "\(f): \(error)")
            }
        }
    }

    func testEditDistanceAndNearest() {
        XCTAssertEqual(editDistance("kitten", "sitting"), 3)
        XCTAssertEqual(nearest("shaep", among: ["shape", "frames"]), "shape")
        XCTAssertNil(nearest("zzzzzz", among: ["shape", "frames"]))
    }

    func testProgressLine() {
        let p = ProgressReporter(label: "time steps", total: 5000, unit: .count("steps"), interval: 1,
                                 logger: .init(label: "t"), isRoot: false)
        XCTAssertEqual(p.line(done: 1200, elapsed: 10), "time steps: 1200 / 5000 (24%), 120 steps/s, ETA 32s")
        XCTAssertEqual(p.line(done: 5000, elapsed: 125), "time steps: 5000 / 5000 (100%), 40 steps/s, done in 2m05s")
        let t = ProgressReporter(label: "simulated time", total: 80, unit: .simulatedTime, interval: 1,
                                 logger: .init(label: "t"), isRoot: false)
        // A resumed run counts its rate from where it started (t = 40 here).
        XCTAssertEqual(t.line(done: 41.2, from: 40, elapsed: 2), "simulated time: t = 41.2 / 80 (52%), 0.6 time units/s, ETA 1m05s")
        XCTAssertEqual(ProgressReporter.formatDuration(7530), "2h05m")
    }
}

final class ReferenceDocTests: XCTestCase {
    /// docs/reference.md is the output of `cascade describe --markdown`: the same declarations
    /// the validator uses. Regenerate it with `.build/debug/cascade describe --markdown > docs/reference.md`.
    func testReferenceDocMatchesTheDeclarations() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/reference.md").standardized
        let onDisk = try String(contentsOf: url, encoding: .utf8)
        let generated = SchemaDocs.reference(JobCatalog.kinds.map { $0.schema })
        XCTAssertEqual(onDisk, generated, "docs/reference.md is stale: run `.build/debug/cascade describe --markdown > docs/reference.md`")
    }

    func testEveryKeyIsDeclaredOnceWithADoc() {
        for kind in JobCatalog.kinds {
            let fields = kind.schema.allFields
            XCTAssertEqual(Set(fields.map(\.path)).count, fields.count, "\(kind.name) declares a key twice")
            for f in fields { XCTAssertFalse(f.doc.isEmpty, "\(kind.name): \(f.path) has no doc") }
        }
    }
}
