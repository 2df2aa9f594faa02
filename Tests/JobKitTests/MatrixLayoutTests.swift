import XCTest
@testable import JobKit
@testable import JobRMT
import JobCatalog

/// `matrix.layout`: what `auto` picks and why, the per-rank memory of each layout in the plan's
/// estimate, and the refusals (the job itself runs both layouts in Tests/e2e/check_distributed.py).
final class MatrixLayoutTests: XCTestCase {
    let gib = 1024.0 * 1024 * 1024

    func testAutoIsReplicatedOnOneRankAndWhenTheMatrixFitsInHalfARank() {
        XCTAssertEqual(MatrixLayout.auto.resolved(order: 60_000, vectors: true, writeMatrix: false, ranks: 1, blockSize: 64, available: gib).0,
                       .replicated, "one rank: nothing to distribute over")
        // 4096² with vectors: 3 · 128 MiB = 384 MiB on rank 0, under half of 1 GiB.
        let (small, why) = MatrixLayout.auto.resolved(order: 4096, vectors: true, writeMatrix: false, ranks: 4, blockSize: 64, available: gib)
        XCTAssertEqual(small, .replicated)
        XCTAssertTrue(why.contains("fits in half"), why)
    }

    func testAutoIsDistributedWhenTheReplicatedMatrixTakesMoreThanHalfARank() {
        // 8192² with vectors: 1.5 GiB on rank 0 against 1 GiB per rank.
        let (big, why) = MatrixLayout.auto.resolved(order: 8192, vectors: true, writeMatrix: false, ranks: 16, blockSize: 64, available: gib)
        XCTAssertEqual(big, .distributed)
        XCTAssertTrue(why.contains("more than half") && why.contains("per rank"), why)
        // ... unless the D4 sectors need rank 0's whole matrix.
        XCTAssertEqual(MatrixLayout.auto.resolved(order: 8192, vectors: true, writeMatrix: false, ranks: 16, blockSize: 64,
                                                  needsWholeMatrix: true, available: gib).0, .replicated)
        // Explicit layouts are kept whatever the memory says.
        XCTAssertEqual(MatrixLayout.replicated.resolved(order: 8192, vectors: true, writeMatrix: false, ranks: 16, blockSize: 64, available: gib).0, .replicated)
        XCTAssertEqual(MatrixLayout.distributed.resolved(order: 100, vectors: false, writeMatrix: false, ranks: 1, blockSize: 64, available: gib).0, .distributed)
    }

    func testDistributedMemoryFallsAsOneOverTheRanks() {
        let d = 65_536.0, share = d * d * 8
        let at16 = MatrixLayout.distributedBytes(order: d, vectors: true, writeMatrix: false, ranks: 16, blockSize: 64)
        let at256 = MatrixLayout.distributedBytes(order: d, vectors: true, writeMatrix: false, ranks: 256, blockSize: 64)
        // 4 × 4 grid: panels 2 · d · nb · Pc doubles (268 MB), capped at 2 × 64 MiB as the assembly caps them.
        XCTAssertEqual(at16, 5 * share / 16 + min(2 * d * 64 * 4 * 8, 128 * 1048576), accuracy: 1)
        XCTAssertLessThan(at256, at16 / 12)
        XCTAssertEqual(MatrixLayout.replicatedBytes(order: d, vectors: false), 2 * share)
        // The plan takes auto's smaller need: it goes distributed exactly when replicated does not fit.
        XCTAssertEqual(MatrixLayout.auto.planBytes(order: d, vectors: true, writeMatrix: false, ranks: 16, blockSize: 64), at16)
    }

    func testTheEstimateNamesTheLayoutAndSectorsRefuseTheDistributedOne() throws {
        // 16 ranks, one per node: the distributed 65536² matrix with vectors (10.9 GB per rank) loads.
        let job = try JobLoader.load(text: "kind = \"covariance\"\n[source]\ntype = \"gaussian\"\nsamples = 200\nfeatures = 65536\n[matrix]\nvectors = true\nlayout = \"distributed\"\n",
                                     path: "job.toml", overrides: [], ranks: 16, ranksPerNode: 1, kinds: JobCatalog.kinds)
        var p = CovarianceParameters.decode(job.config)
        let distributed = CovarianceJob.memoryEstimate(p, ranks: 16)
        XCTAssertLessThan(distributed.bytes, 12e9, "5/16 of 34 GB and the panels")
        XCTAssertTrue(distributed.items.contains { $0.what.contains("distributed layout") && $0.keys.contains("matrix.layout") })
        p.layout = .replicated
        XCTAssertGreaterThan(CovarianceJob.memoryEstimate(p, ranks: 16).bytes, 100e9, "3 · 65536² doubles on rank 0")
        do {
            _ = try JobLoader.load(text: "kind = \"covariance\"\n[source]\ntype = \"hdf5\"\nfile = \"x.h5\"\ndataset = \"x\"\n[matrix]\nlayout = \"distributed\"\n[statistics]\nsectors = true\n",
                                   path: "job.toml", overrides: [], ranks: 4, kinds: JobCatalog.kinds)
            XCTFail("sectors with the distributed layout must be refused")
        } catch let e as JobFileError {
            XCTAssertTrue(e.problems.contains { $0.path == "matrix.layout" && $0.message.contains("D4 sectors") }, "\(e.problems)")
        }
    }
}
