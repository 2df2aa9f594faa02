import XCTest
@testable import JobKit
@testable import JobNS2D
@testable import JobRMT
import JobCatalog

/// Pure-logic checks behind the e2e script Tests/e2e/check_validation.py: the structure scan
/// before the TOML parser, the problem-count bound, derived-count checks and the warnings.
final class ValidationTests: XCTestCase {
    func load(_ text: String, overrides: [String] = [], ranks: Int = 1) throws -> LoadedJob {
        try JobLoader.load(text: text, path: "job.toml", overrides: overrides, ranks: ranks, kinds: JobCatalog.kinds)
    }

    func problems(_ text: String, overrides: [String] = [], ranks: Int = 1) -> [ConfigProblem] {
        do {
            _ = try load(text, overrides: overrides, ranks: ranks)
            XCTFail("expected the job file to be refused")
        } catch let e as JobFileError {
            return e.problems
        } catch {
            XCTFail("unexpected error \(error)")
        }
        return []
    }

    let ns2d = "kind = \"ns2d\"\n[grid]\nn = 32\n[time]\nt_end = 1.0\n"
    let cov = "kind = \"covariance\"\n[source]\ntype = \"gaussian\"\nsamples = 200\nfeatures = 32\n[statistics]\nlengths = [1.0, 5.0]\n"

    // D13
    func testStructureScanFindsDeepKeysAndNesting() {
        XCTAssertEqual(JobLoader.structureProblem(in: Array(repeating: "a", count: 50_000).joined(separator: ".") + " = 1"),
                       .deepKey(line: 1))
        XCTAssertEqual(JobLoader.structureProblem(in: "x = 1\n[" + Array(repeating: "a", count: 9).joined(separator: ".") + "]\n"),
                       .deepKey(line: 2))
        XCTAssertEqual(JobLoader.structureProblem(in: "x = " + String(repeating: "[", count: 50_000)), .deepNesting(line: 1))
        XCTAssertEqual(JobLoader.structureProblem(in: "x = {a = {b = {c = {d = {e = {f = {g = {h = {i = {j = {k = {l = {m = {n = {o = {p = {q = 1}}}}}}}}}}}}}}}}}"),
                       .deepNesting(line: 1))
        XCTAssertEqual(JobLoader.structureProblem(in: "x = {a.b.c.d.e.f.g.h.i = 1}"), .deepKey(line: 1))
    }

    func testStructureScanAcceptsOrdinaryFiles() {
        // Dots in comments, strings (also multi-line ones) and multi-line arrays of floats are not keys.
        let text = """
            # see docs/a.b.c.d.e.f.g.h.i.j for details
            kind = "ns2d"
            description = \"\"\"
            a.b.c.d.e.f.g.h.i.j k.l.m "quoted" \\\"
            \"\"\"
            name = 'x.y.z.a.b.c.d.e.f.g'
            [statistics]
            lengths = [
                1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0,
                [1.5, 2.5], [[3.5]],
            ]
            """
        XCTAssertNil(JobLoader.structureProblem(in: text))
        for file in ["selftest", "ns2d-decay", "ns2d-inverse-cascade", "rmt-synthetic", "rmt-sweep", "rmt-turbulence",
                     "train-mlp", "gmm-bayes", "wide-sweep", "train-conv"] {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("jobs/\(file).toml")
            guard let s = try? String(contentsOf: url, encoding: .utf8) else { continue }
            XCTAssertNil(JobLoader.structureProblem(in: s), file)
        }
    }

    func testDeepOverrideIsRefusedNotParsed() {
        let p = problems(ns2d, overrides: ["x=" + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000)])
        XCTAssertTrue(p.contains { $0.message.contains("nests") }, "\(p)")
    }

    func testManyUnknownKeysAreCountedNotListed() {
        var text = ns2d + "[junk]\n"
        for i in 0 ..< 5000 { text += "k\(i) = 1\n" }
        let p = problems(text)
        XCTAssertLessThanOrEqual(p.count, JobSchema.problemLimit + 5)
        XCTAssertTrue(p.contains { $0.message.contains("5000 keys") }, "\(p.suffix(2))")
    }

    // D23
    func testKindUnderUnknownTableIsReportedWithTheTable() {
        let p = problems("[job]\nkind = \"ns2d\"\n[time]\nt_end = 1.0\n")
        XCTAssertTrue(p.contains { $0.path == "kind" }, "\(p)")
        XCTAssertTrue(p.contains { $0.path == "job.kind" && $0.message.contains("[job]") && $0.fix.contains("top") }, "\(p)")
        let q = problems("[settings]\nname = \"x\"\n")
        XCTAssertTrue(q.contains { $0.path == "settings" && $0.message.contains("not a table") }, "\(q)")
    }

    // D10, D12, D21
    func testNS2DDerivedCountsAndRanges() {
        XCTAssertEqual(problems(ns2d, overrides: ["time.dt=1e-300"]).first?.path, "time.dt")
        XCTAssertEqual(problems(ns2d, overrides: ["time.adaptive=true", "time.dt=1e-300"]).first?.path, "time.dt")
        XCTAssertEqual(problems(ns2d, overrides: ["time.t_end=1e300"]).first?.path, "time.t_end")
        XCTAssertEqual(problems(ns2d, overrides: ["init.k_peak=1e-6"]).first?.path, "init.k_peak")
        XCTAssertEqual(problems(ns2d, overrides: ["init.k_peak=1e300"]).first?.path, "init.k_peak")
        let cfl = problems(ns2d, overrides: ["time.adaptive=true", "time.cfl=1", "time.cfl_max=1"])
        XCTAssertEqual(cfl.first?.path, "time.cfl")
        XCTAssertTrue(cfl.first?.message.contains("time.cfl_max") ?? false)
        XCTAssertNoThrow(try load(ns2d, overrides: ["time.adaptive=true"]))
    }

    // D22
    func testNS2DWarningsAndRanges() throws {
        let job = try load(ns2d, overrides: ["output.average_start=5", "output.snapshot_start=5", "output.separations=\"2:8:2\""])
        XCTAssertTrue(job.warnings.contains { $0.contains("output.average_start") }, "\(job.warnings)")
        XCTAssertTrue(job.warnings.contains { $0.contains("output.snapshot_start") }, "\(job.warnings)")
        XCTAssertEqual(NS2DParameters.decode(job.config).output.separations, [2, 4, 6, 8])
        XCTAssertTrue(try load(ns2d).warnings.isEmpty)
        let huge = problems(ns2d, overrides: ["output.separations=\"-9223372036854775807:9223372036854775807:9223372036854775807\""])
        XCTAssertEqual(huge.first?.path, "output.separations")
    }

    // D11, D12
    func testStatisticsAgainstKnownLevelsAndMemory() {
        XCTAssertNoThrow(try load(cov))
        XCTAssertEqual(problems(cov, overrides: ["statistics.lengths=[1, 100]"]).first?.path, "statistics.lengths")
        XCTAssertEqual(problems(cov, overrides: ["statistics.power_law_ranks=[1, 1000]"]).first?.path, "statistics.power_law_ranks")
        XCTAssertEqual(problems(cov, overrides: ["statistics.power_law_ranks=[9223372036854775807, 9223372036854775807]"]).first?.path,
                       "statistics.power_law_ranks")
        let goe = problems(cov, overrides: ["source.type=\"goe\"", "source.size=100", "statistics.lengths=[1, 500]"])
        XCTAssertEqual(goe.first?.path, "statistics.lengths")
        var m = MemoryEstimate()
        m.add("matrix", elements: 65536.0 * 65536 * 2, keys: ["source.features"])
        let p = m.problems(available: 8e9, ranksPerNode: 1)
        XCTAssertEqual(p.first?.path, "source.features")
        XCTAssertTrue(p.first?.fix.contains("about") ?? false)
    }
}
