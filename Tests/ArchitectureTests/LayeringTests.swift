import Foundation
import XCTest

/// Reads the package graph from `swift package dump-package` and fails on a dependency that
/// points up or sideways in the layer order of Package.swift's header.
final class LayeringTests: XCTestCase {
    /// Layer of every library target; a target may depend only on targets of a lower layer.
    /// A new library target must be placed here (the test fails until it is).
    static let layers: [String: Int] = [
        "CMPI": 0, "CFFTW": 0, "CHDF5": 0, "COpenBLAS": 0, "CScaLAPACK": 0, "CDNNL": 0, "CLearningKernels": 0,
        "Parallel": 1,
        "Linalg": 2, "CounterRNG": 2, "DistributedFFT": 2, "Storage": 2,
        // Numerics built on numerics: dataset reading on top of Storage.
        "Datasets": 3,
        // Distributed matrices: ScaLAPACK's block-cyclic layout over Parallel's communicators, written with Storage.
        "DistributedLinalg": 3,
        // Science: the pure spectrum statistics first, then the distributed solvers and algorithms.
        "Spectra": 3, "SpectraReference": 4,
        // Learning: layers, losses, parameter store, optimisers (no MPI; BLAS, CounterRNG, C kernels).
        "Learning": 3,
        // TrainingData: sample sources (synthetic tasks, HDF5 rows) for the trainer, above Learning.
        "TrainingData": 4,
        // LearningTestSupport: float64 references for the Learning tests (used by test targets only).
        "LearningTestSupport": 4,
        // Diffusion: noise schedules, DDPM/DDIM samplers, EMA, symmetry augmentation (no MPI), above Learning.
        "Diffusion": 4,
        "Turbulence": 5, "Covariance": 5,
        // Training: the data-parallel trainer (Learning's models over Parallel's communicators).
        "Training": 5,
        "JobKit": 6,
        // Report: the HTML report of a run or pipeline folder (run records and HDF5 outputs of
        // every kind), used by `cascade report` and by the pipeline kind.
        "Report": 7,
        // Job kinds (names starting with "Job" other than JobKit and JobCatalog) are layer 8:
        // JobSelftest, JobNS2D, JobRMT, JobTrain, JobCompare (turbulence-compare), JobDiffusion
        // (diffusion-sample), JobPipeline.
        "JobCatalog": 9,
        "cascade": 10,
    ]
    static let jobKindLayer = 8

    struct Target { let name: String; let type: String; let dependencies: [String] }

    static func layer(of name: String) -> Int? {
        if let l = layers[name] { return l }
        if name.hasPrefix("Job") { return jobKindLayer }
        return nil
    }

    func packageTargets() throws -> [Target] {
        // `swift test` holds the build folder's lock, so a nested `swift package` would wait for
        // ever: Tests/run-all.sh runs dump-package first and passes its output here.
        guard let path = ProcessInfo.processInfo.environment["CASCADE_PACKAGE_JSON"] else {
            throw XCTSkip("set CASCADE_PACKAGE_JSON to the output of `swift package dump-package` (Tests/run-all.sh does)")
        }
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "cannot read \(path)")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let targets = try XCTUnwrap(json["targets"] as? [[String: Any]])
        return targets.map { t in
            let deps = (t["dependencies"] as? [[String: Any]] ?? []).compactMap { d -> String? in
                // {"byName": ["X", null]} / {"target": ["X", null]}; products of other packages are not layered.
                if let byName = d["byName"] as? [Any], let n = byName.first as? String { return n }
                if let target = d["target"] as? [Any], let n = target.first as? String { return n }
                return nil
            }
            return Target(name: t["name"] as? String ?? "?", type: t["type"] as? String ?? "?", dependencies: deps)
        }
    }

    func testEveryLibraryTargetHasALayerAndDependsOnlyDownwards() throws {
        let targets = try packageTargets()
        let names = Set(targets.map(\.name))
        XCTAssertTrue(names.contains("JobKit") && names.contains("JobCatalog"), "dump-package lists \(names.sorted())")
        var violations: [String] = []
        for t in targets where t.type == "regular" || t.type == "system" || t.name == "cascade" {
            guard let mine = Self.layer(of: t.name) else {
                violations.append("\(t.name) has no layer: add it to LayeringTests.layers (and Package.swift's header)")
                continue
            }
            for d in t.dependencies where names.contains(d) {
                guard let theirs = Self.layer(of: d) else { continue }
                if theirs >= mine {
                    let kind = theirs == mine ? "sideways" : "upward"
                    violations.append("\(t.name) (layer \(mine)) depends \(kind) on \(d) (layer \(theirs))")
                }
            }
        }
        XCTAssertEqual(violations, [], violations.joined(separator: "\n"))
    }

    func testNothingDependsOnTestsBenchmarksOrExecutables() throws {
        let targets = try packageTargets()
        let leaves = Set(targets.filter { $0.type == "test" || $0.type == "executable" }.map(\.name))
        for t in targets {
            for d in t.dependencies where leaves.contains(d) {
                XCTFail("\(t.name) depends on the leaf target \(d)")
            }
        }
    }

    func testJobKindsDoNotImportEachOther() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let sources = root.appendingPathComponent("Sources")
        let kinds = try FileManager.default.contentsOfDirectory(atPath: sources.path)
            .filter { $0.hasPrefix("Job") && $0 != "JobKit" && $0 != "JobCatalog" }
        XCTAssertFalse(kinds.isEmpty)
        for kind in kinds {
            let dir = sources.appendingPathComponent(kind)
            for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) where file.hasSuffix(".swift") {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for other in kinds where other != kind {
                    XCTAssertFalse(text.contains("import \(other)\n"), "\(kind)/\(file) imports \(other)")
                }
                XCTAssertFalse(text.contains("import JobCatalog"), "\(kind)/\(file) imports JobCatalog")
            }
        }
    }
}
