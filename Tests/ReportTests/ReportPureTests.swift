import Foundation
@testable import Report
import XCTest

/// The parts of the report that need no files: JSON for the page script, the colour map,
/// decimation of long series and images, and how charts become dygraphs' data.
final class ReportPureTests: XCTestCase {
    func testNonFiniteNumbersBecomeNullSoThePageJSONStaysValid() throws {
        let value = JSONValue.numbers([1.5, .nan, .infinity, -.infinity, 0, -2, 1e300])
        let text = value.encoded()
        XCTAssertEqual(text, "[1.5,null,null,null,0,-2,1e+300]")
        // The page parses it with JSON.parse; Foundation's parser is as strict.
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any])
        XCTAssertEqual(parsed.count, 7)
        XCTAssertTrue(parsed[1] is NSNull)
    }

    func testStringsCannotCloseTheScriptElement() throws {
        let text = JSONValue.object([("title", .string("</script><b>\"x\"\n&\u{2028}"))]).encoded()
        XCTAssertFalse(text.contains("<"))
        XCTAssertFalse(text.contains(">"))
        XCTAssertFalse(text.contains("\u{2028}"))
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        XCTAssertEqual(parsed["title"], "</script><b>\"x\"\n&\u{2028}")
    }

    func testColourMapIsDivergingAndSymmetricAboutZero() {
        let table = DivergingColorMap.table()
        XCTAssertEqual(table.count, DivergingColorMap.levels)
        XCTAssertEqual(DivergingColorMap.index(of: 0, limit: 5), UInt8(DivergingColorMap.levels / 2))
        XCTAssertEqual(table[DivergingColorMap.levels / 2], "#f7f7f7", "zero is white")
        let negative = DivergingColorMap.color(at: 0), positive = DivergingColorMap.color(at: 1)
        XCTAssertGreaterThan(negative.b, negative.r, "the negative end is blue")
        XCTAssertGreaterThan(positive.r, positive.b, "the positive end is red")
        // ±v land the same distance from the middle.
        let mid = Int(DivergingColorMap.levels / 2)
        for v in [0.3, 1.7, 4.9] {
            let lo = Int(DivergingColorMap.index(of: -v, limit: 5)), hi = Int(DivergingColorMap.index(of: v, limit: 5))
            XCTAssertEqual(mid - lo, hi - mid, "±\(v)")
        }
        XCTAssertEqual(DivergingColorMap.index(of: 99, limit: 5), UInt8(DivergingColorMap.levels - 1), "clamped")
        XCTAssertEqual(DivergingColorMap.index(of: .nan, limit: 5), UInt8(mid))
    }

    func testDecimationKeepsEndsAndAtMostTheLimit() {
        XCTAssertEqual(Decimation.indices(count: 5, limit: 10), [0, 1, 2, 3, 4])
        let picked = Decimation.indices(count: 100_000, limit: 400)
        XCTAssertLessThanOrEqual(picked.count, 400)
        XCTAssertGreaterThan(picked.count, 390)
        XCTAssertEqual(picked.first, 0)
        XCTAssertEqual(picked.last, 99_999)
        XCTAssertEqual(picked, picked.sorted())
        XCTAssertEqual(Set(picked).count, picked.count)
        XCTAssertEqual(Decimation.indices(count: 0), [])
    }

    func testBlockAverageOfAnImage() {
        // 4×4 → 2×2 block means.
        let image: [Double] = [1, 1, 2, 2,
                               1, 1, 2, 2,
                               3, 3, 4, 8,
                               3, 3, 4, 8]
        let r = Decimation.blockAverage(image, side: 4, factor: 2)
        XCTAssertEqual(r.side, 2)
        XCTAssertEqual(r.values, [1, 2, 3, 6])
        XCTAssertEqual(Decimation.blockFactor(side: 1024, limit: 256), 4)
        XCTAssertEqual(Decimation.blockFactor(side: 300, limit: 256), 2)
        XCTAssertEqual(Decimation.blockFactor(side: 64, limit: 256), 1)
    }

    func testChartDataMergesSeriesOnXAndDropsNonPositiveXOnLogAxes() throws {
        let chart = Chart(title: "t", x: "k", y: "E", logX: true, logY: true, series: [
            Series("a", x: [0, 1, 2], y: [5, 4, .nan]),
            Series("b", x: [2, 3], y: [1, 2]),
        ])
        XCTAssertTrue(chart.isDrawable)
        let rows = chart.data().rows.encoded()
        XCTAssertEqual(rows, "[[1,4,null],[2,null,1],[3,null,2]]")
        let bars = Chart(title: "t", x: "M", y: "r", series: [Series("a", x: [10], y: [0.5], sigma: [0.1])]).data()
        XCTAssertTrue(bars.errorBars)
        XCTAssertEqual(bars.rows.encoded(), "[[10,[0.5,0.1]]]")
        XCTAssertFalse(Chart(title: "t", x: "x", y: "y", logY: true, series: [Series("a", x: [1], y: [-1])]).isDrawable)
    }

    func testImageStackIsOneByteAPixelWithYUpAndSymmetricScale() throws {
        // 2×2 field: row 0 is y = 0 (bottom of the picture).
        let stack = ImageStack.make(title: "w", frames: [[-2, 0, 1, 2]], side: 2, labels: ["t=0"], unit: "ω")
        XCTAssertEqual(stack.limit, 2)
        let bytes = [UInt8](try XCTUnwrap(Data(base64Encoded: stack.frames[0])))
        // Picture row 0 (top) holds field row 1 (y = 1): values 1, 2.
        XCTAssertEqual(bytes[2], DivergingColorMap.index(of: -2, limit: 2))
        XCTAssertEqual(bytes[0], DivergingColorMap.index(of: 1, limit: 2))
        XCTAssertEqual(bytes[1], UInt8(DivergingColorMap.levels - 1))
    }

    func testVendoredLibraryIsTheMinifiedDygraphsWithoutExternalReferences() {
        XCTAssertTrue(DygraphsBundle.script.contains("Dygraph"))
        XCTAssertGreaterThan(DygraphsBundle.script.utf8.count, 100_000)
        XCTAssertFalse(DygraphsBundle.script.contains("sourceMappingURL"))
        XCTAssertFalse(DygraphsBundle.script.contains("</script"))
    }
}
