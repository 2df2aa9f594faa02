import XCTest
@testable import Learning
import LearningTestSupport

/// Every backward pass and every loss gradient against float64 central differences of an
/// independent float64 forward (Reference.swift).
///
/// Tolerances: the float32 gradient may differ from the reference by at most 1e-5 of the largest
/// reference component, the float32 forward output by at most 1e-6 of its largest. Measured: at most
/// 4e-7 and 2e-7 (float32 rounding through a few layers); the float64 differences are good to ~1e-10.
/// A 3 % error in one term of GELU's derivative already shows as 1.4e-3, so the margin hides no bug.
final class GradientTests: XCTestCase {
    static let gradientTolerance = 1e-5
    static let forwardTolerance = 1e-6

    /// Forward, `floatLoss` (returns dL/dy), backward; then compares output, parameter gradients and
    /// input gradient with the reference of `refLoss`.
    func checkModel(_ model: Sequential, x: [Float], rows: Int, _ what: String,
                    floatLoss: (UnsafeBufferPointer<Float>) -> [Float], refLoss: @escaping ([Double]) -> Double,
                    file: StaticString = #filePath, line: UInt = #line) {
        model.store.zeroGradients()
        let out = model.forward(x, rows: rows)  // the model's own buffer: valid until the next forward
        let y = Array(out), dy = floatLoss(out)
        let dx = dy.withUnsafeBufferPointer { Array(model.backward($0, rows: rows)) }
        let grads = model.store.gradients

        let ref = model.layers.map(RefLayer.from)
        let p = model.store.values.map(Double.init), xd = x.map(Double.init)
        let yRef = refForward(ref, p, xd, rows: rows)
        let scale = yRef.map(abs).max() ?? 1
        let worstY = zip(y, yRef).map { abs(Double($0) - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worstY / scale, Self.forwardTolerance, "\(what): forward", file: file, line: line)

        if !p.isEmpty {
            let dp = centralDifferences(p) { refLoss(refForward(ref, $0, xd, rows: rows)) }
            assertGradient(grads, dp, tolerance: Self.gradientTolerance, "\(what): parameters", file: file, line: line)
        }
        let dxRef = centralDifferences(xd) { refLoss(refForward(ref, p, $0, rows: rows)) }
        assertGradient(dx, dxRef, tolerance: Self.gradientTolerance, "\(what): input", file: file, line: line)
    }

    /// Layer checks use L = Σ r ⊙ y with fixed random r, so dL/dy = r exercises every output.
    func checkLayer(_ layer: any Layer, inputs: Int = 7, rows: Int = 5, scale: Double = 2, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try Sequential(inputFeatures: inputs, batch: rows, seed: 11, inputGradient: true, [layer])
        let x = testValues(rows * inputs, seed: 3, scale: scale)
        let r = testValues(rows * model.outputFeatures, seed: 4)
        let rd = r.map(Double.init)
        checkModel(model, x: x, rows: rows, what, floatLoss: { _ in r },
                   refLoss: { y in zip(y, rd).map { $0 * $1 }.reduce(0, +) }, file: file, line: line)
    }

    func testDenseBackward() throws {
        try checkLayer(Dense(outputs: 4, initialization: .he), "Dense he")
        try checkLayer(Dense(outputs: 4, initialization: .glorot), "Dense glorot")
    }

    func testDenseNTKScalingIsInForwardAndBackward() throws {
        // NTK init draws b ~ N(0, 1), so the bias scale β matters for both the output and db.
        try checkLayer(Dense(outputs: 3, initialization: .ntk(beta: 0.1)), "Dense ntk")
        let layer = Dense(outputs: 3, initialization: .ntk(beta: 0.1))
        _ = try Sequential(inputFeatures: 16, batch: 1, seed: 1, inputGradient: true, [layer])
        XCTAssertEqual(layer.weightScale, 0.25)
        XCTAssertEqual(layer.biasScale, 0.1)
    }

    func testActivationsBackward() throws {
        let x = testValues(35, seed: 3, scale: 2)
        XCTAssertGreaterThan(x.map(abs).min()!, 1e-3, "ReLU inputs must keep clear of the kink for the differences")
        try checkLayer(ReLU(), "ReLU")
        try checkLayer(Tanh(), "Tanh")
        try checkLayer(GELU(), "GELU")
        try checkLayer(SiLU(), "SiLU")
        // Large |x|: the saturated branches (σ and tanh near 0 and 1) must stay exact too.
        try checkLayer(SiLU(), scale: 30, "SiLU large")
        try checkLayer(GELU(), scale: 8, "GELU large")
    }

    func testMSEGradientAndValue() throws {
        let (rows, f) = (5, 3)
        let model = try Sequential(inputFeatures: 4, batch: rows, seed: 2, inputGradient: true, [Dense(outputs: f)])
        let loss = MSE(features: f, batch: rows)
        let x = testValues(rows * 4, seed: 5), t = testValues(rows * f, seed: 6)
        let td = t.map(Double.init)
        var value: Float = 0
        checkModel(model, x: x, rows: rows, "MSE", floatLoss: { y in
            value = t.withUnsafeBufferPointer { loss.evaluate(y, $0, rows: rows, globalBatch: rows) }
            return Array(loss.gradient.prefix(rows * f))
        }, refLoss: { refMSE($0, td, features: f, globalBatch: rows) })
        let y = model.forward(x, rows: rows).map(Double.init)
        XCTAssertEqual(Double(value), refMSE(y, td, features: f, globalBatch: rows), accuracy: 1e-6)
    }

    func testSoftmaxCrossEntropyGradientAndValue() throws {
        let (rows, c) = (6, 4)
        let model = try Sequential(inputFeatures: 3, batch: rows, seed: 3, inputGradient: true, [Dense(outputs: c)])
        let loss = SoftmaxCrossEntropy(classes: c, batch: rows)
        let x = testValues(rows * 3, seed: 7, scale: 3), labels: [Int32] = [0, 3, 1, 2, 3, 0]
        checkModel(model, x: x, rows: rows, "softmax CE", floatLoss: { y in
            _ = labels.withUnsafeBufferPointer { loss.evaluate(y, $0, rows: rows, globalBatch: rows) }
            return Array(loss.gradient.prefix(rows * c))
        }, refLoss: { refCE($0, labels, classes: c, globalBatch: rows) })
    }

    func testSoftmaxCrossEntropyIsStableForHugeLogits() {
        let loss = SoftmaxCrossEntropy(classes: 3, batch: 2)
        let z: [Float] = [1000, 0, -1000, -1e4, -1e4 + 2, -1e4 + 1], labels: [Int32] = [1, 2]
        let v = z.withUnsafeBufferPointer { zp in labels.withUnsafeBufferPointer { loss.evaluate(zp, $0, rows: 2, globalBatch: 2) } }
        // Row 0: −log softmax = 1000 (to float); row 1: log(1 + e^{-2} + e^{-1}) + 1 (Float(-1e4 + 2) is exact).
        let expected = (1000 + (log(1 + exp(-2.0) + exp(-1.0)) + 1)) / 2
        XCTAssertEqual(Double(v), expected, accuracy: 1e-4)
        XCTAssertTrue(loss.gradient.allSatisfy { $0.isFinite })
        XCTAssertEqual(Double(loss.gradient[0]), 0.5, accuracy: 1e-7)  // (softmax − onehot)/N: (1 − 0)/2
        XCTAssertEqual(Double(loss.gradient[1]), -0.5, accuracy: 1e-7)
    }

    func testBinaryCrossEntropyWithLogitsGradientAndValue() throws {
        let (rows, f) = (5, 2)
        let model = try Sequential(inputFeatures: 3, batch: rows, seed: 4, inputGradient: true, [Dense(outputs: f)])
        let loss = BinaryCrossEntropyWithLogits(features: f, batch: rows)
        let x = testValues(rows * 3, seed: 8, scale: 3)
        let t = testValues(rows * f, seed: 9).map { ($0 + 1) / 2 }  // probabilities in [0, 1]
        let td = t.map(Double.init)
        checkModel(model, x: x, rows: rows, "BCE with logits", floatLoss: { y in
            _ = t.withUnsafeBufferPointer { loss.evaluate(y, $0, rows: rows, globalBatch: rows) }
            return Array(loss.gradient.prefix(rows * f))
        }, refLoss: { refBCE($0, td, features: f, globalBatch: rows) })
    }

    func testBinaryCrossEntropyIsStableForHugeLogits() {
        let loss = BinaryCrossEntropyWithLogits(features: 2, batch: 1)
        let z: [Float] = [200, -200], t: [Float] = [0, 1]
        let v = z.withUnsafeBufferPointer { zp in t.withUnsafeBufferPointer { loss.evaluate(zp, $0, rows: 1, globalBatch: 1) } }
        XCTAssertEqual(v, 200, accuracy: 1e-3)  // each element costs |z| = 200; mean over the two
        XCTAssertEqual(Array(loss.gradient), [0.5, -0.5])
    }

    func testFullModelDenseTanhDenseSoftmaxCE() throws {
        let (rows, c) = (5, 4)
        let model = try Sequential(inputFeatures: 6, batch: rows, seed: 42, inputGradient: true,
                                   [Dense(outputs: 8), Tanh(), Dense(outputs: c, initialization: .glorot)])
        let loss = SoftmaxCrossEntropy(classes: c, batch: rows)
        let x = testValues(rows * 6, seed: 10), labels: [Int32] = [2, 0, 3, 1, 1]
        checkModel(model, x: x, rows: rows, "Dense→Tanh→Dense→CE", floatLoss: { y in
            _ = labels.withUnsafeBufferPointer { loss.evaluate(y, $0, rows: rows, globalBatch: rows) }
            return Array(loss.gradient.prefix(rows * c))
        }, refLoss: { refCE($0, labels, classes: c, globalBatch: rows) })
    }

    func testFullModelEveryLayerKindNTKAndBCE() throws {
        let rows = 4
        let model = try Sequential(inputFeatures: 5, batch: rows, seed: 7, inputGradient: true, [
            Dense(outputs: 6, initialization: .ntk(beta: 0.5)), GELU(),
            Dense(outputs: 6, initialization: .glorot), SiLU(),
            Dense(outputs: 5), ReLU(), Dense(outputs: 2, initialization: .ntk(beta: 1)),
        ])
        let loss = BinaryCrossEntropyWithLogits(features: 2, batch: rows)
        let x = testValues(rows * 5, seed: 12), t: [Float] = [1, 0, 0, 1, 1, 1, 0, 0]
        let td = t.map(Double.init)
        checkModel(model, x: x, rows: rows, "every layer kind", floatLoss: { y in
            _ = t.withUnsafeBufferPointer { loss.evaluate(y, $0, rows: rows, globalBatch: rows) }
            return Array(loss.gradient.prefix(rows * 2))
        }, refLoss: { refBCE($0, td, features: 2, globalBatch: rows) })
    }
}
