import XCTest
import JobCatalog
@testable import JobKit
@testable import JobTrain

/// Bad `wide-sweep` job files, refused with the key named; widths given as ranges.
final class WideSweepValidationTests: XCTestCase {
    static let base = """
        kind = "wide-sweep"
        [data]
        samples = 128
        dimension = 8
        [sweep]
        widths = "64:4096:*2"
        seeds = "1:3"
        [train]
        steps = 10

        """

    func load(_ overrides: [String] = [], ranks: Int = 1) throws -> LoadedJob {
        try JobLoader.load(text: Self.base, path: "job.toml", overrides: overrides, ranks: ranks, kinds: JobCatalog.kinds)
    }

    func paths(_ overrides: [String], ranks: Int = 1) -> [String] {
        do {
            _ = try load(overrides, ranks: ranks)
            XCTFail("expected a refusal of \(overrides)")
        } catch let e as JobFileError {
            return e.problems.map { $0.path ?? "" }
        } catch {
            XCTFail("\(error)")
        }
        return []
    }

    func testRangesExpandAndDefaultsResolve() throws {
        let p = WideSweepParameters.decode(try load().config)
        XCTAssertEqual(p.sweep.widths, [64, 128, 256, 512, 1024, 2048, 4096])
        XCTAssertEqual(p.sweep.seeds, [1, 2, 3])
        XCTAssertEqual(p.globalBatch, 128)
        XCTAssertEqual(try load().outputs, ["wide_sweep.h5"])
        XCTAssertEqual(WideSweepJob.parameterCount(p, width: 64), 8 * 64 + 64 + 64 * 64 + 64 + 64 + 1)
    }

    func testBadSweepsNameTheKey() {
        XCTAssertEqual(paths(["sweep.widths=[64, 64]"]), ["sweep.widths"])
        XCTAssertEqual(paths(["sweep.seeds=[1, 1]"]), ["sweep.seeds"])
        XCTAssertEqual(paths(["sweep.widths=\"64:32:*2\""]), ["sweep.widths"])
        XCTAssertEqual(paths(["data.teacher_outputs=2"]), ["data.teacher_outputs"])
        XCTAssertEqual(paths(["train.batch=256"]), ["train.batch"])
        XCTAssertEqual(paths(["sweep.distribute=data"], ranks: 3), ["data.samples"])
        XCTAssertEqual(paths(["sweep.distribute=data", "train.batch=30"], ranks: 4), ["train.batch"])
        XCTAssertEqual(paths(["sweep.activation=relu6"]), ["sweep.activation"])
        XCTAssertEqual(paths(["data.kind=gaussian-mixture"]), ["data.kind"])
        XCTAssertNoThrow(try load(["sweep.distribute=data"], ranks: 4))
    }
}
