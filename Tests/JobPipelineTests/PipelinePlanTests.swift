import JobCatalog
import JobKit
@testable import JobPipeline
import Foundation
import XCTest

/// The pipeline's plan (stage parsing, input resolution, hashes) and its skip decisions,
/// without running any stage.
final class PipelinePlanTests: XCTestCase {
    let base = """
        kind = "pipeline"
        [[stages]]
        name = "make"
        [stages.job]
        kind = "covariance"
        source.type = "gaussian"
        source.samples = 50
        source.features = 8
        [[stages]]
        name = "use"
        [stages.job]
        kind = "covariance"
        source.type = "hdf5"
        source.dataset = "eigenvalues"
        [stages.inputs]
        "source.file" = "make:rmt.h5"

        """

    func load(_ text: String, selection: StageSelection = .all) throws -> LoadedJob {
        try JobLoader.load(text: text, path: "/nonexistent/p.toml", overrides: [], ranks: 1, kinds: JobCatalog.kinds,
                           stageSelection: selection)
    }

    func plan(_ text: String) throws -> [ResolvedStage] {
        let loaded = try load(text)
        let p = PipelineParameters.decode(loaded.config)
        let (stages, problems) = PipelinePlan.resolve(p, validation: ValidationContext(ranks: 1, jobFile: "/nonexistent/p.toml", kinds: JobCatalog.kinds),
                                                      outputDirectory: "/out")
        XCTAssertEqual(problems, [])
        return stages
    }

    func testInputsBecomeOverridesAndDependencies() throws {
        let stages = try plan(base)
        XCTAssertEqual(stages.map(\.name), ["make", "use"])
        XCTAssertEqual(stages[1].spec.dependsOn, ["make"])
        XCTAssertEqual(stages[1].job.config.values.value(at: "source.file"), .string("/out/make/rmt.h5"))
        XCTAssertEqual(stages[0].job.name, "make", "an inline job without a name is named after its stage")
    }

    func testChangingAProducerChangesItsDependantsHashOnly() throws {
        let a = try plan(base)
        let b = try plan(base.replacingOccurrences(of: "source.samples = 50", with: "source.samples = 60"))
        XCTAssertNotEqual(a[0].hash, b[0].hash)
        XCTAssertNotEqual(a[1].hash, b[1].hash, "a dependant's hash includes its producer's")
        let c = try plan(base.replacingOccurrences(of: "name = \"use\"\n", with: "name = \"use\"\nset = [\"statistics.windows=7\"]\n"))
        XCTAssertEqual(a[0].hash, c[0].hash, "a change downstream leaves the producer's hash")
        XCTAssertNotEqual(a[1].hash, c[1].hash)
    }

    func testResumableKeysCountInTheStageHash() {
        // ConfigFingerprint ignores resumable keys (for --resume); a stage's result depends on them.
        let x = ConfigValue.table(["time": .table(["t_end": .double(1)])])
        let y = ConfigValue.table(["time": .table(["t_end": .double(2)])])
        XCTAssertNotEqual(StageHash.of(config: x, inputs: [], dependencies: []), StageHash.of(config: y, inputs: [], dependencies: []))
        XCTAssertNotEqual(StageHash.of(config: x, inputs: [], dependencies: ["a"]), StageHash.of(config: x, inputs: [], dependencies: ["b"]))
    }

    func testTyposAreNamedByStageAndKey() {
        func problems(_ text: String) -> String {
            do { _ = try load(text); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(problems(base.replacingOccurrences(of: "make:rmt.h5", with: "mak:rmt.h5")).contains("stages[1] (use).inputs.source.file"))
        XCTAssertTrue(problems(base.replacingOccurrences(of: "make:rmt.h5", with: "make:rmt5.h5")).contains("does not write \"rmt5.h5\""))
        XCTAssertTrue(problems(base.replacingOccurrences(of: "source.features = 8", with: "source.featurez = 8")).contains("stages[0] (make): source.featurez"))
        XCTAssertTrue(problems(base.replacingOccurrences(of: "name = \"use\"", with: "name = \"make\"")).contains("names two stages"))
        XCTAssertTrue(problems(base.replacingOccurrences(of: "name = \"use\"", with: "name = \"../x\"")).contains("not a safe folder name"))
        XCTAssertTrue(problems(base.replacingOccurrences(of: "name = \"make\"\n", with: "name = \"make\"\ndepends_on = [\"use\"]\n")).contains("move stage use above make"))
        XCTAssertTrue(problems(base).isEmpty)
    }

    func testStageSelection() throws {
        XCTAssertThrowsError(try load(base, selection: .only("usee")))
        XCTAssertNoThrow(try load(base, selection: .from("use")))
        XCTAssertEqual(StageRun.selected(.from("use"), stages: ["make", "use"]), ["use"])
        XCTAssertEqual(StageRun.selected(.only("make"), stages: ["make", "use"]), ["make"])
        XCTAssertEqual(StageRun.selected(.all, stages: ["make", "use"]), ["make", "use"])
    }

    func testOnlyCompletedSucceededRunsAreUpToDate() {
        let json = #"{"cascade_version": "x", "kind": "ns2d", "name": "n", "job_file": "j", "overrides": [], "ranks": 1, "hosts": [], "mpi_library": "", "started": "", "status": "completed", "config_hash": "", "planned_outputs": []}"#
        var r = try! JSONDecoder().decode(RunRecord.self, from: Data(json.utf8))
        r.succeeded = true
        XCTAssertEqual(StageFolderState.classify(r, checkpointExists: false), .upToDate)
        r.succeeded = false
        XCTAssertEqual(StageFolderState.classify(r, checkpointExists: false), .stale)
        r.status = .interrupted
        XCTAssertEqual(StageFolderState.classify(r, checkpointExists: true), .resumable)
        XCTAssertEqual(StageFolderState.classify(r, checkpointExists: false), .stale)
        r.status = .running
        XCTAssertEqual(StageFolderState.classify(r, checkpointExists: true), .stale)
    }
}
