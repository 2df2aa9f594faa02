import CounterRNG
import Foundation
import Parallel
import XCTest
@testable import JobKit
@testable import JobTrain
import Learning

/// Two 1-D Gaussian classes N(∓1, 1), equal priors: the log-likelihood ratio is 2x and the
/// Bayes accuracy Φ(Δ/2) = Φ(1).
final class TwoGaussians: BayesOptimalReference {
    let count: Int
    let rng = CounterRNG(seed: 5, stream: 0)
    init(count: Int) { self.count = count }
    var inputShape: TensorShape { .vector(1) }
    var targetKind: TargetKind { .classes(2) }
    func x(_ i: Int) -> Double { (i % 2 == 1 ? 1 : -1) + rng.normal(at: UInt64(i)) }
    func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>, targets: UnsafeMutablePointer<Float>?,
              labels: UnsafeMutablePointer<Int32>?) throws {
        for (r, i) in indices.enumerated() {
            inputs[r] = Float(x(i))
            labels?[r] = Int32(i % 2)
        }
    }
    func logLikelihoodRatio(indices: UnsafeBufferPointer<Int>, into: UnsafeMutablePointer<Double>) throws {
        for (r, i) in indices.enumerated() { into[r] = 2 * Double(Float(x(i))) }
    }
    var closedFormAccuracy: Double? { 0.5 * erfc(-1 / 2.0.squareRoot()) }
}

final class BayesComparisonTests: XCTestCase {
    func trainer(weight: Float, source: TwoGaussians) throws -> HeldOutBatch {
        let (spec, _) = ModelSpec.parse(input: [1], layers: ConfigTables([["type": .string("dense"), "units": .int(1)]]))
        let model = try spec!.build(batch: 64, seed: 0)
        model.store.values = [weight, 0]
        return HeldOutBatch(model: model, communicator: .world)
    }

    func testTheOptimalLogitAgreesEverywhere() throws {
        let source = TwoGaussians(count: 20000)
        let b = try trainer(weight: 2, source: source).compareWithBayes(source)
        XCTAssertEqual(b.samples, 20000)
        XCTAssertEqual(b.agreement, 1)
        XCTAssertEqual(b.logitCorrelation, 1, accuracy: 1e-9)
        XCTAssertEqual(b.networkAccuracy, b.bayesAccuracy)
        // Monte Carlo against Φ(1) = 0.8413: within 4 standard errors sqrt(a(1 − a)/n).
        let se = (0.8413 * 0.1587 / 20000).squareRoot()
        XCTAssertEqual(b.bayesAccuracy, b.bayesAccuracyClosedForm, accuracy: 4 * se)
        XCTAssertEqual(b.bayesAccuracyClosedForm, 0.841345, accuracy: 1e-6)
    }

    func testAnInvertedLogitDisagreesEverywhere() throws {
        let source = TwoGaussians(count: 1000)
        let b = try trainer(weight: -0.5, source: source).compareWithBayes(source)
        XCTAssertEqual(b.agreement, 0)
        XCTAssertEqual(b.logitCorrelation, -1, accuracy: 1e-9)
        XCTAssertEqual(b.networkAccuracy, 1 - b.bayesAccuracy, accuracy: 1e-12)
    }
}
