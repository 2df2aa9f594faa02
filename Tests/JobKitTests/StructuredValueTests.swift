import XCTest
@testable import JobKit

/// Array-of-tables keys (a model's layers) and geometric integer ranges ("64:4096:*2").
final class StructuredValueTests: XCTestCase {
    let schema = JobSchema(kind: "t", summary: "test", fields: [
        ConfigField("model.layers", .tableArray(count: 1 ... 3), default: nil, "layers"),
        ConfigField("sweep.widths", .intList(count: 0 ... 20, element: 1 ... 1 << 20), default: .array([]), "widths"),
    ])

    func resolve(_ text: String) throws -> JobConfig {
        try schema.resolve(try TOMLParsing.parse("kind = \"t\"\n" + text, source: "t.toml"), file: "t.toml")
    }

    func problems(_ text: String) -> [ConfigProblem] {
        do {
            _ = try resolve(text)
            XCTFail("expected a refusal")
        } catch let e as JobFileError {
            return e.problems
        } catch {
            XCTFail("\(error)")
        }
        return []
    }

    func testArrayOfTablesIsOneValueInBothSpellings() throws {
        let blocks = try resolve("[[model.layers]]\ntype = \"dense\"\nunits = 4\n[[model.layers]]\ntype = \"relu\"\n")
        let inline = try resolve("[model]\nlayers = [{ type = \"dense\", units = 4 }, { type = \"relu\" }]\n")
        XCTAssertEqual(blocks.values, inline.values)
        let tables = ConfigTables(configValue: blocks.values.value(at: "model.layers")!)
        XCTAssertEqual(tables?.tables.count, 2)
        XCTAssertEqual(tables?.tables[0]["units"], .int(4))
        // The resolved document (job.toml) reads back to the same tree.
        let again = try schema.resolve(try TOMLParsing.parse(blocks.values.tomlDocument, source: "job.toml"), file: "job.toml")
        XCTAssertEqual(again.values, blocks.values)
    }

    func testArrayOfTablesShapeIsChecked() {
        XCTAssertEqual(problems("[model]\nlayers = [1, 2]\n").first?.path, "model.layers")
        XCTAssertTrue(problems("[model]\nlayers = [1, 2]\n").first?.message.contains("not a table") ?? false)
        let tooMany = problems("[model]\nlayers = [{a = 1}, {a = 1}, {a = 1}, {a = 1}]\n")
        XCTAssertEqual(tooMany.first?.path, "model.layers")
        XCTAssertTrue(tooMany.first?.message.contains("4 tables") ?? false, "\(tooMany)")
        let missing = problems("")
        XCTAssertEqual(missing.first?.path, "model.layers")
        XCTAssertEqual(missing.first?.message, "is required but missing")
    }

    func testGeometricRangeMultiplies() throws {
        let c = try resolve("[[model.layers]]\na = 1\n[sweep]\nwidths = \"64:4096:*2\"\n")
        XCTAssertEqual([Int](configValue: c.values.value(at: "sweep.widths")!), [64, 128, 256, 512, 1024, 2048, 4096])
        let odd = try resolve("[[model.layers]]\na = 1\n[sweep]\nwidths = \"3:100:*3\"\n")
        XCTAssertEqual([Int](configValue: odd.values.value(at: "sweep.widths")!), [3, 9, 27, 81])
        // The arithmetic forms are unchanged.
        let arithmetic = try resolve("[[model.layers]]\na = 1\n[sweep]\nwidths = \"2:8:3\"\n")
        XCTAssertEqual([Int](configValue: arithmetic.values.value(at: "sweep.widths")!), [2, 5, 8])
        for bad in ["\"64:4096:*1\"", "\"0:8:*2\"", "\"64:32:*2\"", "\"1:1048576:*2\"", "\"a:8:*2\""] {
            let p = problems("[[model.layers]]\na = 1\n[sweep]\nwidths = \(bad)\n")
            XCTAssertEqual(p.first?.path, "sweep.widths", bad)
        }
    }

    func testNearestSpellingIsPublicForKinds() {
        XCTAssertEqual(nearestSpelling(of: "unit", among: ["units", "init"]), "units")
        XCTAssertNil(nearestSpelling(of: "zzzzzz", among: ["units"]))
    }
}
