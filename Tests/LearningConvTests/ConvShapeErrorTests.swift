import XCTest
@testable import Learning

/// Bad inputs are refused while the model is built, naming the layer and both shapes.
final class ConvShapeErrorTests: XCTestCase {
    func shapeError(_ body: () throws -> Void) -> ShapeError? {
        do { try body() } catch let e as ShapeError { return e } catch { XCTFail("unexpected \(error)") }
        return nil
    }

    func testDenseRowsAreNotImages() throws {
        let e = shapeError {
            _ = try Sequential(input: .vector(12), batch: 4, seed: 1, [Dense(outputs: 8), Conv2d(outputs: 4, kernel: 3)])
        }
        XCTAssertEqual(e?.layerIndex, 1)
        XCTAssertEqual(e?.actual, [4, 8])
        XCTAssertEqual(e?.expected, [4, 1, 1, 8])
        XCTAssertTrue(e?.description.contains("needs an NHWC image") ?? false, e?.description ?? "no error")
    }

    func testStrideTwoNeedsEvenSizes() throws {
        let e = shapeError {
            _ = try Sequential(input: .image(height: 8, width: 8, channels: 3), batch: 2, seed: 1,
                               [Conv2d(outputs: 4, kernel: 3), Conv2d(outputs: 4, kernel: 3, stride: 2, padding: .periodic),
                                Conv2d(outputs: 4, kernel: 1, stride: 2)])
        }
        XCTAssertNil(e, "8 → 4 → 2 chains")
        let odd = shapeError {
            _ = try Sequential(input: .image(height: 7, width: 8, channels: 3), batch: 2, seed: 1,
                               [Conv2d(outputs: 4, kernel: 3, stride: 2)])
        }
        XCTAssertEqual(odd?.layerIndex, 0)
        XCTAssertEqual(odd?.expected, [2, 8, 8, 3])
        XCTAssertEqual(odd?.actual, [2, 7, 8, 3])
        XCTAssertTrue(odd?.description.contains("even height and width") ?? false, odd?.description ?? "no error")
    }

    func testOutputShapesAndParameterLayout() throws {
        let conv = Conv2d(outputs: 6, kernel: 3, stride: 2, padding: .periodic)
        let model = try Sequential(input: .image(height: 10, width: 4, channels: 5), batch: 2, seed: 1,
                                   [conv, ReLU(), Conv2d(outputs: 2, kernel: 1), Dense(outputs: 3)])
        XCTAssertEqual(conv.outputShape, .image(height: 5, width: 2, channels: 6))
        XCTAssertEqual(model.store.views.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"])
        XCTAssertEqual(model.store.views.map(\.shape), [[6, 3, 3, 5], [6], [2, 1, 1, 6], [2], [3, 20], [3]])
        XCTAssertEqual(conv.summary, "Conv2d(3×3, 5→6, stride 2, periodic)")
    }
}
