import Learning
import XCTest
@testable import TrainingData

/// A small MLP trained on a Gaussian-mixture task (Learning's layers, Adam, BCE on one logit) gets close
/// to the Bayes accuracy and never clearly above it: above would mean the "optimal" LLR is not optimal.
final class BayesLearnabilityTests: XCTestCase {
    func train(_ configuration: GaussianMixture.Configuration, steps: Int) throws -> BayesComparison {
        let mixture = try GaussianMixture(configuration)
        let d = configuration.dimension, batch = 256
        let train = try GaussianMixtureTask(mixture: mixture, count: steps * batch), test = try train.heldOut(count: 20000)
        let model = try Sequential(inputFeatures: d, batch: batch, seed: 2, [Dense(outputs: 64), ReLU(), Dense(outputs: 1, initialization: .glorot)])
        let loss = BinaryCrossEntropyWithLogits(features: 1, batch: batch)
        var adam = Adam(parameterCount: model.store.count, schedule: .constant(2e-3))
        var x = [Float](repeating: 0, count: batch * d), t = [Float](repeating: 0, count: batch), indices = [Int](repeating: 0, count: batch)
        for step in 0 ..< steps {
            for r in 0 ..< batch { indices[r] = step * batch + r }
            try indices.withUnsafeBufferPointer { i in
                try x.withUnsafeMutableBufferPointer { xp in try t.withUnsafeMutableBufferPointer { try train.load(indices: i, inputs: xp.baseAddress!, targets: $0.baseAddress, labels: nil) } }
            }
            model.store.zeroGradients()
            let y = model.forward(x, rows: batch)
            _ = t.withUnsafeBufferPointer { loss.evaluate(y, $0, rows: batch, globalBatch: batch) }
            model.backward(loss.gradient, rows: batch)
            let store = model.store
            store.values.withUnsafeMutableBufferPointer { p in store.gradients.withUnsafeBufferPointer { adam.step(parameters: p, gradients: $0) } }
        }
        var logits = [Float](repeating: 0, count: test.count)
        var start = 0
        while start < test.count {
            let n = min(batch, test.count - start)
            for r in 0 ..< n { indices[r] = start + r }
            try indices.withUnsafeBufferPointer { i in
                try x.withUnsafeMutableBufferPointer { try test.load(indices: UnsafeBufferPointer(rebasing: i[0 ..< n]), inputs: $0.baseAddress!, targets: nil, labels: nil) }
            }
            let y = model.forward(x, rows: n)
            for r in 0 ..< n { logits[start + r] = y[r] }
            start += n
        }
        return test.compareWithBayes(logits: logits)
    }

    /// Equal covariances (the optimum is linear): within 1.5 points of Φ(Δ/2), and not above the Monte-Carlo
    /// Bayes accuracy by more than 3 standard errors; the logit correlates strongly with the LLR.
    func testNetworkApproachesLinearBayesOptimum() throws {
        let c = try train(.init(dimension: 16, exponent: 1.0, separation: 2, separationMeasure: .mahalanobis, seed: 5), steps: 300)
        XCTAssertEqual(c.closedFormBayesAccuracy, standardNormalCDF(1), accuracy: 1e-12)
        XCTAssertEqual(c.bayesAccuracy, c.closedFormBayesAccuracy, accuracy: 3 * c.bayesAccuracyStandardError)
        XCTAssertGreaterThan(c.networkAccuracy, c.bayesAccuracy - 0.015, "\(c)")
        XCTAssertLessThan(c.networkAccuracy, c.bayesAccuracy + 3 * c.bayesAccuracyStandardError, "\(c)")
        XCTAssertGreaterThan(c.agreement, 0.95, "\(c)")
        XCTAssertGreaterThan(c.logitCorrelation, 0.9, "\(c)")
    }

    /// Different eigenvectors (a quadratic optimum, no closed form): the network learns part of it and
    /// does not beat the LLR rule.
    func testNetworkDoesNotBeatQuadraticBayesOptimum() throws {
        let c = try train(.init(dimension: 16, exponent: 1.0, eigenvectors: .different, separation: 1, seed: 6), steps: 300)
        XCTAssertTrue(c.closedFormBayesAccuracy.isNaN)
        XCTAssertLessThan(c.networkAccuracy, c.bayesAccuracy + 3 * c.bayesAccuracyStandardError, "\(c)")
        XCTAssertGreaterThan(c.networkAccuracy, 0.6, "\(c)")
    }
}
