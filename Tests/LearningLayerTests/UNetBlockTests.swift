import XCTest
@testable import Learning
import LearningTestSupport

/// The time conditioning and the ResidualBlock of the diffusion U-Net: gradients against
/// central differences (with the time embedding and its MLP in the loop, dL/dt included), the
/// periodic translation equivariance of a block, and the build-time checks.
final class UNetBlockTests: XCTestCase {
    /// A row per sample: the field then t (t in [0.2, 2.2]: float32 differences of a phase t·f
    /// stay accurate there; a step index ~1000 would need a larger h).
    func rowsOfField(_ field: TensorShape, rows: Int, seed: UInt64) -> [Float] {
        let f = field.elements
        var x = testValues(rows * (f + 1), seed: seed)
        for r in 0 ..< rows { x[r * (f + 1) + f] = 0.2 + Float(r) * 2 / Float(max(rows - 1, 1)) }
        return x
    }

    func timeMLP(_ embedding: Int, _ features: Int) -> [any Layer] {
        [SinusoidalTimeEmbedding(features: embedding), Dense(outputs: 2 * features), SiLU(), Dense(outputs: features), SiLU()]
    }

    func testSinusoidalEmbeddingFormula() throws {
        let model = try Sequential(input: .vector(1), batch: 2, seed: 1, inputGradient: true, [SinusoidalTimeEmbedding(features: 6)])
        let y = Array(model.forward([0, 500], rows: 2))
        let f = [1.0, 0.01, 0.0001]  // 10000^(−k/2), k = 0, 1, 2
        XCTAssertEqual(Array(y[0 ..< 6]), [0, 0, 0, 1, 1, 1])
        for k in 0 ..< 3 {
            XCTAssertEqual(Double(y[6 + k]), sin(500 * f[k]), accuracy: 1e-7)
            XCTAssertEqual(Double(y[9 + k]), cos(500 * f[k]), accuracy: 1e-7)
        }
    }

    func testTimeEmbeddingAndMLPThroughABlock() throws {
        let field = TensorShape.image(height: 4, width: 4, channels: 2), cond = TimeConditioning(features: 6)
        var check = try FloatGradientCheck(
            [TimeConditioned(field: field, conditioning: cond, time: timeMLP(8, 6),
                             body: [ResidualBlock(outputs: 4, groups: 2, conditioning: cond)])],
            input: .vector(field.elements + 1), rows: 3, x: rowsOfField(field, rows: 3, seed: 3))
        check.check("time MLP + ResidualBlock(2→4)")
        // The time MLP's tensors are named under the TimeConditioned's child 0, the block's under child 1.
        let names = check.model.store.views.map(\.name)
        XCTAssertEqual(Array(names.prefix(4)), ["0.0.1.weight", "0.0.1.bias", "0.0.3.weight", "0.0.3.bias"])
        XCTAssertTrue(names.contains("0.1.0.1.weight") && names.contains("0.1.0.3.0.weight"), "\(names)")
    }

    func testResidualBlocksKeepingChannels() throws {
        let field = TensorShape.image(height: 4, width: 2, channels: 4), cond = TimeConditioning(features: 4)
        var check = try FloatGradientCheck(
            [TimeConditioned(field: field, conditioning: cond, time: timeMLP(4, 4),
                             body: [ResidualBlock(outputs: 4, groups: 2, conditioning: cond),
                                    ResidualBlock(outputs: 4, groups: 4, conditioning: cond)])],
            input: .vector(field.elements + 1), rows: 2, x: rowsOfField(field, rows: 2, seed: 5))
        check.check("two ResidualBlocks(4→4), identity skips")
        XCTAssertFalse(check.model.store.views.contains { $0.name.hasSuffix(".3.0.weight") }, "no 1×1 skip when the channels stay")
    }

    /// The U-Net's skip connection: [x, up(f(down(x)))] joined along the channels, f a block.
    func testSkipConcatenationAroundAStridedLevel() throws {
        let field = TensorShape.image(height: 4, width: 4, channels: 2), cond = TimeConditioning(features: 4)
        let inner: [any Layer] = [Conv2d(outputs: 4, kernel: 3, stride: 2, padding: .periodic),
                                  ResidualBlock(outputs: 4, groups: 2, conditioning: cond),
                                  NearestUpsample2d(factor: 2), Conv2d(outputs: 4, kernel: 3, padding: .periodic)]
        var check = try FloatGradientCheck(
            [TimeConditioned(field: field, conditioning: cond, time: timeMLP(4, 4),
                             body: [Concatenate([[], inner]), ResidualBlock(outputs: 2, groups: 2, conditioning: cond)])],
            input: .vector(field.elements + 1), rows: 2, x: rowsOfField(field, rows: 2, seed: 6))
        check.check("skip concatenation around a strided level")
    }

    /// Every 3×3 convolution is periodic and the time enters per channel: any shift commutes.
    func testResidualBlockCommutesWithEveryPeriodicShift() throws {
        let (h, w) = (6, 4), field = TensorShape.image(height: h, width: w, channels: 2), cond = TimeConditioning(features: 4)
        let model = try Sequential(input: .vector(field.elements + 1), batch: 2, seed: 2, [
            TimeConditioned(field: field, conditioning: cond, time: timeMLP(4, 4),
                            body: [ResidualBlock(outputs: 3, groups: 1, conditioning: cond)]),
        ])
        model.store.values = testValues(model.store.count, seed: 9, scale: 0.5)
        let stride = field.elements + 1, x = rowsOfField(field, rows: 2, seed: 7)
        let y = Array(model.forward(x, rows: 2))
        for (a, b) in [(1, 3), (5, 1), (2, 0)] {
            let ys = Array(model.forward(rollField(x, samples: 2, stride: stride, height: h, width: w, channels: 2, by: a, b), rows: 2))
            let expected = rollField(y, samples: 2, stride: h * w * 3, height: h, width: w, channels: 3, by: a, b)
            let e = assertClose(ys, expected.map(Double.init), tolerance: 1e-6, "ResidualBlock shifted by (\(a), \(b))")
            print("ResidualBlock shift (\(a), \(b)): relative error \(e)")
        }
    }

    func testBuildChecks() {
        // A block whose conditioning has no owner.
        let orphan = TimeConditioning(features: 4)
        XCTAssertThrowsError(try Sequential(input: .image(height: 2, width: 2, channels: 2), batch: 1, seed: 1,
                                            [ResidualBlock(outputs: 2, groups: 1, conditioning: orphan)])) { e in
            XCTAssertTrue((e as! ShapeError).layer.contains("TimeConditioning"), "\(e)")
        }
        // A row that is not field + t.
        let cond = TimeConditioning(features: 4)
        XCTAssertThrowsError(try Sequential(inputFeatures: 8, batch: 2, seed: 1, [
            TimeConditioned(field: .image(height: 2, width: 2, channels: 2), conditioning: cond, time: timeMLP(4, 4), body: []),
        ])) { e in
            let err = e as! ShapeError
            XCTAssertEqual(err.expected, [2, 9])
            XCTAssertEqual(err.actual, [2, 8])
        }
        // Time layers of the wrong width.
        let c2 = TimeConditioning(features: 5)
        XCTAssertThrowsError(try Sequential(inputFeatures: 9, batch: 2, seed: 1, [
            TimeConditioned(field: .image(height: 2, width: 2, channels: 2), conditioning: c2, time: timeMLP(4, 4), body: []),
        ])) { e in XCTAssertEqual((e as! ShapeError).expected, [2, 5]) }
        // GroupNorm groups that do not divide the block's channels: the inner layer's path named.
        let c3 = TimeConditioning(features: 4)
        XCTAssertThrowsError(try Sequential(inputFeatures: 13, batch: 1, seed: 1, [
            TimeConditioned(field: .image(height: 2, width: 2, channels: 3), conditioning: c3, time: timeMLP(4, 4),
                            body: [ResidualBlock(outputs: 4, groups: 2, conditioning: c3)]),
        ])) { e in XCTAssertTrue((e as! ShapeError).layer.hasPrefix("0.1.0.0.0: GroupNorm"), "\(e)") }
    }
}
