import XCTest
@testable import Learning
import LearningTestSupport

/// AvgPool2d and NearestUpsample2d: exact small cases, backward and forward-mode derivatives
/// against finite differences of the float64 reference, shape errors.
final class ImageLayerTests: XCTestCase {
    func testAvgPoolAndUpsampleOnAKnownImage() throws {
        // One 4×4 single-channel image 0…15 (row-major): 2×2 block means are exact in float32.
        let pool = AvgPool2d(factor: 2), up = NearestUpsample2d(factor: 2)
        let model = try Sequential(input: .image(height: 4, width: 4, channels: 1), batch: 1, seed: 1, [pool, up])
        XCTAssertEqual(pool.outputShape, .image(height: 2, width: 2, channels: 1))
        XCTAssertEqual(model.outputShape, .image(height: 4, width: 4, channels: 1))
        let x = (0 ..< 16).map(Float.init)
        _ = model.forward(x, rows: 1)
        let pooled = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: pool.forward($0.baseAddress!, rows: 1), count: 4)) }
        XCTAssertEqual(pooled, [2.5, 4.5, 10.5, 12.5])
        let y = Array(model.forward(x, rows: 1))
        XCTAssertEqual(y, [2.5, 2.5, 4.5, 4.5, 2.5, 2.5, 4.5, 4.5, 10.5, 10.5, 12.5, 12.5, 10.5, 10.5, 12.5, 12.5])
    }

    func testChannelsStayApartAndRowsAreIndependent() throws {
        // 2 samples of 2×2×3: pooling each channel separately; a partial batch (1 row) leaves row 2 alone.
        let pool = AvgPool2d(factor: 2)
        let model = try Sequential(input: .image(height: 2, width: 2, channels: 3), batch: 2, seed: 1, [pool])
        let x: [Float] = [1, 10, 100, 2, 20, 200, 3, 30, 300, 4, 40, 400,
                          -1, -2, -3, -1, -2, -3, -1, -2, -3, -1, -2, -3]
        XCTAssertEqual(Array(model.forward(x, rows: 2)), [2.5, 25, 250, -1, -2, -3])
        XCTAssertEqual(Array(model.forward(x, rows: 1)), [2.5, 25, 250])
    }

    func testAvgPoolBackwardAndTangent() throws {
        for factor in [1, 2, 3] {
            let c = try LayerCase([AvgPool2d(factor: factor)], input: .image(height: 6, width: 6, channels: 2), rows: 2)
            c.checkBackward("AvgPool2d(\(factor))")
            c.checkTangent("AvgPool2d(\(factor))")
        }
    }

    func testNearestUpsampleBackwardAndTangent() throws {
        for factor in [1, 2, 3] {
            let c = try LayerCase([NearestUpsample2d(factor: factor)], input: .image(height: 3, width: 2, channels: 3), rows: 2)
            c.checkBackward("NearestUpsample2d(\(factor))")
            c.checkTangent("NearestUpsample2d(\(factor))")
        }
    }

    func testOmittedInputGradientStillPoolsForward() throws {
        // As the first layer (dx not wanted) the forward is unchanged.
        let a = try Sequential(input: .image(height: 4, width: 4, channels: 2), batch: 1, seed: 1, [AvgPool2d(factor: 2)])
        let b = try Sequential(input: .image(height: 4, width: 4, channels: 2), batch: 1, seed: 1, inputGradient: true,
                               [AvgPool2d(factor: 2)])
        let x = testValues(32, seed: 1)
        XCTAssertEqual(Array(a.forward(x, rows: 1)), Array(b.forward(x, rows: 1)))
    }

    func testShapeErrorsNameTheLayerAndTheRule() {
        // H not divisible: the error proposes the next multiple.
        XCTAssertThrowsError(try Sequential(input: .image(height: 6, width: 5, channels: 2), batch: 4, seed: 1,
                                            [AvgPool2d(factor: 2)])) { e in
            let err = e as! ShapeError
            XCTAssertEqual(err.layerIndex, 0)
            XCTAssertEqual(err.expected, [4, 6, 6, 2])
            XCTAssertEqual(err.actual, [4, 6, 5, 2])
            XCTAssertTrue(err.layer.contains("AvgPool2d(2)") && err.layer.contains("multiples of 2"), err.layer)
        }
        // Not an image at all.
        XCTAssertThrowsError(try Sequential(inputFeatures: 8, batch: 4, seed: 1, [Dense(outputs: 4), AvgPool2d(factor: 2)])) { e in
            let err = e as! ShapeError
            XCTAssertEqual(err.layerIndex, 1)
            XCTAssertEqual(err.actual, [4, 4])
            XCTAssertTrue(err.description.contains("needs an image [height, width, channels]"), err.description)
        }
        XCTAssertThrowsError(try Sequential(inputFeatures: 8, batch: 4, seed: 1, [NearestUpsample2d(factor: 2)])) { e in
            let err = e as! ShapeError
            XCTAssertTrue(err.layer.hasPrefix("NearestUpsample2d(2) needs an image"), err.layer)
            XCTAssertFalse(err.layer.contains("multiples"), "upsampling takes any H and W: \(err.layer)")
        }
        XCTAssertNoThrow(try Sequential(input: .image(height: 3, width: 5, channels: 1), batch: 1, seed: 1,
                                        [NearestUpsample2d(factor: 3)]))
    }
}
