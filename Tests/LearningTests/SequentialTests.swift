import XCTest
@testable import Learning
import LearningTestSupport

final class SequentialTests: XCTestCase {
    func testShapeMismatchNamesLayerAndBothShapes() {
        XCTAssertThrowsError(try Sequential(inputFeatures: 4, batch: 2, seed: 1,
                                            [Dense(outputs: 8), Tanh(), Dense(inputs: 5, outputs: 3)])) { error in
            XCTAssertEqual(error as? ShapeError,
                           ShapeError(layerIndex: 2, layer: "Dense(5→3)", expected: [2, 5], actual: [2, 8]))
            XCTAssertEqual("\(error)", "layer 2 (Dense(5→3)) expects input shape [2, 5] but receives [2, 8]")
        }
        XCTAssertThrowsError(try Sequential(inputFeatures: 4, batch: 3, seed: 1, [Dense(inputs: 6, outputs: 1)])) { error in
            XCTAssertEqual((error as? ShapeError)?.layerIndex, 0)
        }
        XCTAssertNoThrow(try Sequential(inputFeatures: 4, batch: 2, seed: 1, [Dense(inputs: 4, outputs: 8), ReLU(), Dense(inputs: 8, outputs: 1)]))
    }

    func testLossWidthIsCheckedAtBuildTime() throws {
        let model = try Sequential(inputFeatures: 3, batch: 4, seed: 1, [Dense(outputs: 5)])
        XCTAssertNoThrow(try model.check(loss: SoftmaxCrossEntropy(classes: 5, batch: 4)))
        XCTAssertThrowsError(try model.check(loss: MSE(features: 4, batch: 4))) { error in
            XCTAssertEqual(error as? ShapeError, ShapeError(layerIndex: 1, layer: "loss", expected: [4, 4], actual: [4, 5]))
        }
        XCTAssertThrowsError(try model.check(loss: MSE(features: 5, batch: 2)))  // too small a batch
    }

    /// By default the first Dense skips dL/dx; the parameter gradients must not change by it.
    func testOmittedInputGradientLeavesParameterGradientsAlone() throws {
        func gradients(inputGradient: Bool) throws -> ([Float], Int) {
            let model = try Sequential(inputFeatures: 3, batch: 4, seed: 2, inputGradient: inputGradient,
                                       [Dense(outputs: 6), Tanh(), Dense(outputs: 2)])
            let loss = MSE(features: 2, batch: 4), t = testValues(8, seed: 3)
            let out = model.forward(testValues(12, seed: 4), rows: 4)
            _ = t.withUnsafeBufferPointer { loss.evaluate(out, $0, rows: 4, globalBatch: 4) }
            let dx = model.backward(loss.gradient, rows: 4)
            return (model.store.gradients, dx.count)
        }
        let (without, n0) = try gradients(inputGradient: false), (with, n1) = try gradients(inputGradient: true)
        XCTAssertEqual(without, with)
        XCTAssertEqual(n0, 0)
        XCTAssertEqual(n1, 12)
    }

    func testParameterStoreLayoutIsOneFlatBuffer() throws {
        let model = try Sequential(inputFeatures: 3, batch: 2, seed: 1, [Dense(outputs: 4), Tanh(), Dense(outputs: 2)])
        let views = model.store.views
        XCTAssertEqual(views.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertEqual(views.map(\.shape), [[4, 3], [4], [2, 4], [2]])
        XCTAssertEqual(views.map(\.offset), [0, 12, 16, 24])
        XCTAssertEqual(model.store.count, 26)
        XCTAssertEqual(model.store.gradients.count, 26)
        XCTAssertEqual(model.outputFeatures, 2)
    }

    func testParameterRangesTileTheStoreByLayer() throws {
        let model = try Sequential(inputFeatures: 3, batch: 2, seed: 1, [Dense(outputs: 4), Tanh(), Dense(outputs: 2)])
        XCTAssertEqual(model.parameterRanges, [0 ..< 16, 16 ..< 16, 16 ..< 26])
    }

    /// The callback variant computes the same gradients as the plain backward and reports the layers
    /// top-down, each after its gradients are final (checked by reading them at that moment).
    func testBackwardWithCallbackReportsEachLayerAfterItsGradients() throws {
        let layers: () -> [any Layer] = { [Dense(outputs: 5), GELU(), Dense(outputs: 3)] }
        let a = try Sequential(inputFeatures: 4, batch: 3, seed: 2, layers())
        let b = try Sequential(inputFeatures: 4, batch: 3, seed: 2, layers())
        let x = (0 ..< 12).map { Float($0) / 7 - 0.8 }, dy = (0 ..< 9).map { Float($0 % 4) - 1.5 }
        a.forward(x, rows: 3)
        b.forward(x, rows: 3)
        _ = dy.withUnsafeBufferPointer { a.backward($0, rows: 3) }
        var order: [Int] = [], seen: [[Float]] = []
        _ = dy.withUnsafeBufferPointer { d in
            b.backward(d, rows: 3) { i in
                order.append(i)
                seen.append(Array(b.store.gradients[b.parameterRanges[i]]))
            }
        }
        XCTAssertEqual(order, [2, 1, 0])
        XCTAssertEqual(b.store.gradients, a.store.gradients)
        for (k, i) in order.enumerated() { XCTAssertEqual(seen[k], Array(a.store.gradients[a.parameterRanges[i]]), "layer \(i)") }
    }

    /// Two halves with globalBatch = 8 must give the full-batch loss and gradient when summed (what the
    /// data-parallel allreduce-sum relies on). Tolerance 1e-6 in the relative 2-norm: float32 sums over
    /// 8 vs 4 + 4 rows differ only in rounding order (measured 5e-8).
    func testSplitBatchGradientsSumToFullBatch() throws {
        let (batch, c, f) = (8, 3, 5)
        let model = try Sequential(inputFeatures: f, batch: batch, seed: 9,
                                   [Dense(outputs: 16), GELU(), Dense(outputs: 16), Tanh(), Dense(outputs: c)])
        let loss = SoftmaxCrossEntropy(classes: c, batch: batch)
        let x = testValues(batch * f, seed: 21), labels: [Int32] = [0, 1, 2, 2, 1, 0, 0, 2]

        func step(rowsFrom start: Int, count: Int) -> Float {
            let xs = Array(x[start * f ..< (start + count) * f]), ls = Array(labels[start ..< start + count])
            let out = model.forward(xs, rows: count)
            let value = ls.withUnsafeBufferPointer { loss.evaluate(out, $0, rows: count, globalBatch: batch) }
            model.backward(loss.gradient, rows: count)
            return value
        }

        model.store.zeroGradients()
        let fullLoss = step(rowsFrom: 0, count: batch)
        let full = model.store.gradients.map(Double.init)

        model.store.zeroGradients()
        let l1 = step(rowsFrom: 0, count: 4)
        let g1 = model.store.gradients.map(Double.init)
        model.store.zeroGradients()
        let l2 = step(rowsFrom: 4, count: 4)
        let g2 = model.store.gradients.map(Double.init)

        let diff = zip(full, zip(g1, g2)).map { ($0 - ($1.0 + $1.1)) * ($0 - ($1.0 + $1.1)) }.reduce(0, +).squareRoot()
        let norm = full.map { $0 * $0 }.reduce(0, +).squareRoot()
        XCTAssertGreaterThan(norm, 1e-3)
        XCTAssertLessThanOrEqual(diff / norm, 1e-6, "relative gradient difference \(diff / norm)")
        XCTAssertEqual(Double(l1) + Double(l2), Double(fullLoss), accuracy: 1e-6 * Double(fullLoss))

        // Without zeroing in between, backward accumulates: the two halves land in one buffer.
        model.store.zeroGradients()
        _ = step(rowsFrom: 0, count: 4)
        _ = step(rowsFrom: 4, count: 4)
        let accumulated = model.store.gradients.map(Double.init)
        let diffAcc = zip(full, accumulated).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        XCTAssertLessThanOrEqual(diffAcc / norm, 1e-6)
    }

    /// Allocation cannot be observed directly here; what can: every buffer a step touches keeps its
    /// address from one step to the next (so nothing was reallocated or copied on write).
    func testBuffersKeepTheirAddressesAcrossSteps() throws {
        let (batch, f, c) = (4, 3, 2)
        let model = try Sequential(inputFeatures: f, batch: batch, seed: 5,
                                   [Dense(outputs: 8), ReLU(), Dense(outputs: 8), SiLU(), Dense(outputs: c)])
        let loss = SoftmaxCrossEntropy(classes: c, batch: batch)
        let x = testValues(batch * f, seed: 1), labels: [Int32] = [0, 1, 1, 0]

        func step() -> [UnsafeRawPointer?] {
            model.store.zeroGradients()
            let out = model.forward(x, rows: batch)
            _ = labels.withUnsafeBufferPointer { loss.evaluate(out, $0, rows: batch, globalBatch: batch) }
            let dx = model.backward(loss.gradient, rows: batch)
            // A plain SGD update in place, as an optimiser would do it.
            model.store.values.withUnsafeMutableBufferPointer { v in
                model.store.gradients.withUnsafeBufferPointer { g in for i in 0 ..< v.count { v[i] -= 0.1 * g[i] } }
            }
            return [UnsafeRawPointer(out.baseAddress), UnsafeRawPointer(dx.baseAddress),
                    UnsafeRawPointer(loss.gradient.baseAddress),
                    model.store.values.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) },
                    model.store.gradients.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }]
        }
        let first = step(), second = step(), third = step()
        XCTAssertEqual(first, second)
        XCTAssertEqual(second, third)
        XCTAssertFalse(first.contains(nil))
    }
}
