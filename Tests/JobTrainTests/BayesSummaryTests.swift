import Foundation
import Parallel
import XCTest
@testable import JobKit
@testable import JobTrain
import Learning
import TrainingData

/// `/bayes` from BayesEvaluation: two isotropic Gaussian classes N(∓(1, 0), I) in d = 2 with equal
/// priors, whose log-likelihood ratio is exactly 2·x₀ and whose Bayes accuracy is Φ(Δ/2) = Φ(1).
final class BayesComparisonTests: XCTestCase {
    func task(count: Int) throws -> GaussianMixtureTask {
        let mixture = try GaussianMixture(.init(dimension: 2, exponent: 0, separation: 2, meanDirection: .axis(0), seed: 5))
        return try GaussianMixtureTask(mixture: mixture, count: count)
    }

    /// A one-logit linear model z = w·x₀ (batch 64, so the evaluation runs in several batches).
    func model(weight: Float) throws -> Sequential {
        let (spec, _) = ModelSpec.parse(input: [2], layers: ConfigTables([["type": .string("dense"), "units": .int(1)]]))
        let model = try spec!.build(batch: 64, seed: 0)
        model.store.values = [weight, 0, 0]
        return model
    }

    func testTheOptimalLogitAgreesEverywhere() throws {
        let t = try task(count: 20000)
        let b = try BayesEvaluation.compare(model: try model(weight: 2), task: t, communicator: .world)
        XCTAssertEqual(b.samples, 20000)
        // Float32 inputs against the float64 LLR: at most a handful of samples on the boundary differ.
        XCTAssertEqual(b.agreement, 1, accuracy: 2e-4)
        XCTAssertEqual(b.logitCorrelation, 1, accuracy: 1e-6)
        XCTAssertEqual(b.networkAccuracy, b.bayesAccuracy, accuracy: 2e-4)
        XCTAssertEqual(b.bayesAccuracyClosedForm, 0.841345, accuracy: 1e-6)
        let se = (0.8413 * 0.1587 / 20000).squareRoot()
        XCTAssertEqual(b.bayesAccuracyStandardError, se, accuracy: 1e-4)
        // Monte Carlo against Φ(1): within 4 standard errors.
        XCTAssertEqual(b.bayesAccuracy, b.bayesAccuracyClosedForm, accuracy: 4 * se)
    }

    func testAnInvertedLogitDisagreesEverywhere() throws {
        let t = try task(count: 1000)
        let b = try BayesEvaluation.compare(model: try model(weight: -0.5), task: t, communicator: .world)
        XCTAssertEqual(b.agreement, 0, accuracy: 2e-3)
        XCTAssertEqual(b.logitCorrelation, -1, accuracy: 1e-6)
        XCTAssertEqual(b.networkAccuracy, 1 - b.bayesAccuracy, accuracy: 2e-3)
    }

    func testTheShardedTallyEqualsTheWholeTaskComparison() throws {
        // 1000 samples in batches of 64 (a partial last batch) against TrainingData's one-rank comparison.
        let t = try task(count: 1000), m = try model(weight: 1.5)
        let b = try BayesEvaluation.compare(model: m, task: t, communicator: .world)
        var inputs = [Float](repeating: 0, count: 1000 * 2)
        let indices = Array(0 ..< 1000)
        try indices.withUnsafeBufferPointer { i in try inputs.withUnsafeMutableBufferPointer { try t.load(indices: i, inputs: $0.baseAddress!, targets: nil, labels: nil) } }
        let whole = t.compareWithBayes(logits: (0 ..< 1000).map { 1.5 * inputs[2 * $0] })
        XCTAssertEqual(b.networkAccuracy, whole.networkAccuracy)
        XCTAssertEqual(b.bayesAccuracy, whole.bayesAccuracy)
        XCTAssertEqual(b.agreement, whole.agreement)
        XCTAssertEqual(b.logitCorrelation, whole.logitCorrelation, accuracy: 1e-12)
    }
}
