import XCTest
@testable import Learning

/// Layers, loss and optimiser together: a student MLP fitted to a fixed teacher by Adam on one flat
/// parameter buffer. The loss must fall by orders of magnitude, and the same seed must give the
/// same parameters bit for bit (no hidden state outside the store and the optimiser).
final class TrainingLoopTests: XCTestCase {
    func train(steps: Int, seed: UInt64) throws -> (first: Float, last: Float, parameters: [Float]) {
        let batch = 64, inputs = 8
        // Teacher: y = sin(x·w) with a fixed w; inputs on a deterministic grid.
        var x = [Float](repeating: 0, count: batch * inputs), y = [Float](repeating: 0, count: batch)
        for r in 0 ..< batch {
            var dot: Float = 0
            for c in 0 ..< inputs {
                let v = Float(sin(Double(r * inputs + c) * 0.7))
                x[r * inputs + c] = v
                dot += v * Float(c + 1) / Float(inputs)
            }
            y[r] = sin(dot)
        }
        let model = try Sequential(inputFeatures: inputs, batch: batch, seed: seed,
                                   [Dense(outputs: 32, initialization: .glorot), Tanh(), Dense(outputs: 1, initialization: .glorot)])
        let loss = MSE(features: 1, batch: batch)
        try model.check(loss: loss)
        var adam = Adam(parameterCount: model.store.count, schedule: .constant(1e-2))
        var first: Float = .nan, last: Float = .nan
        for step in 0 ..< steps {
            model.store.zeroGradients()
            let prediction = model.forward(x, rows: batch)
            let value = y.withUnsafeBufferPointer { loss.evaluate(prediction, $0, rows: batch, globalBatch: batch) }
            if step == 0 { first = value }
            last = value
            _ = model.backward(loss.gradient, rows: batch)
            let gradients = model.store.gradients
            model.store.values.withUnsafeMutableBufferPointer { p in
                gradients.withUnsafeBufferPointer { g in adam.step(parameters: p, gradients: g) }
            }
        }
        return (first, last, model.store.values)
    }

    func testAdamFitsATeacherAndIsReproducible() throws {
        let a = try train(steps: 300, seed: 7)
        XCTAssertTrue(a.first.isFinite && a.last.isFinite)
        XCTAssertLessThan(a.last, a.first / 20, "loss \(a.first) → \(a.last)")
        let b = try train(steps: 300, seed: 7)
        XCTAssertEqual(a.parameters, b.parameters)
        let c = try train(steps: 1, seed: 8)
        XCTAssertNotEqual(Array(c.parameters.prefix(8)), Array(b.parameters.prefix(8)))
    }
}
