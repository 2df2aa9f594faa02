import Linalg
import XCTest
@testable import TrainingData

final class GaussianMixtureTests: XCTestCase {
    /// The LLR against scipy's multivariate_normal.logpdf on dense covariances (different bases,
    /// unequal priors, d = 4). Reference numbers from Tests/TrainingDataTests/llr_reference.py:
    ///     /work/main/.build/pyvenv/bin/python Tests/TrainingDataTests/llr_reference.py
    func testLogLikelihoodRatioMatchesScipy() throws {
        let u0 = [0.955336489125606, -0.29552020666133955, 0.0, 0.0, 0.29552020666133955, 0.955336489125606, 0.0, 0.0, 0.0, 0.0, 0.7648421872844885, 0.644217687237691, 0.0, 0.0, -0.644217687237691, 0.7648421872844885]
        let u1 = [0.4535961214255773, 0.0, -0.8912073600614354, 0.0, 0.0, 0.9210609940028851, 0.0, -0.3894183423086505, 0.8912073600614354, 0.0, 0.4535961214255773, 0.0, 0.0, 0.3894183423086505, 0.0, 0.9210609940028851]
        let points = [0.0, 0.0, 0.0, 0.0, 1.0, -0.5, 0.3, 2.0, -2.0, 1.0, 0.7, -0.4, 0.4, -0.1, 0.25, 0.0, 3.0, 3.0, -3.0, 1.5]
        let expected = [-0.6060812524155367, -13.563766412828766, -5.612478360653238, -0.28594498288716796, 1.488428522951275]
        let mixture = try GaussianMixture(
            means: [[-0.3, 0.2, 0.0, 0.1], [0.4, -0.1, 0.25, 0.0]],
            eigenvalues: [[2.0, 1.0, 0.5, 0.25], [1.5, 1.2, 0.8, 0.1]],
            bases: [Matrix(rows: 4, columns: 4, elements: u0), Matrix(rows: 4, columns: 4, elements: u1)],
            prior1: 0.3, seed: 1)
        XCTAssertFalse(mixture.covariancesAreEqual)
        XCTAssertNil(mixture.closedFormBayesAccuracy)
        let llr = mixture.logLikelihoodRatios(points)
        for (got, want) in zip(llr, expected) { XCTAssertEqual(got, want, accuracy: 1e-12 * max(1, abs(want))) }
        // Explicit parts: equal covariances are recognised, a non-orthogonal basis is refused.
        let u = Matrix(rows: 4, columns: 4, elements: u0), lambda = [2.0, 1.0, 0.5, 0.25]
        let equal = try GaussianMixture(means: [[0, 0, 0, 0], [1, 0, 0, 0]], eigenvalues: [lambda, lambda], bases: [u, u], seed: 1)
        XCTAssertTrue(equal.covariancesAreEqual)
        XCTAssertNotNil(equal.closedFormBayesAccuracy)
        var skew = u
        skew[0, 0] += 0.01
        XCTAssertThrowsError(try GaussianMixture(means: [[0, 0, 0, 0], [1, 0, 0, 0]], eigenvalues: [lambda, lambda], bases: [u, skew], seed: 1)) {
            XCTAssertEqual(($0 as? TrainingDataError)?.parameter, "bases")
        }
    }

    /// Φ(Δ/2) (and the unequal-prior formula) equals the Monte-Carlo accuracy of the LLR rule within 3
    /// standard errors, over dimensions, exponents, separations and mean directions.
    func testClosedFormMatchesMonteCarloBayesAccuracy() throws {
        let cases: [GaussianMixture.Configuration] = [
            .init(dimension: 8, exponent: 0.5, separation: 1.0, separationMeasure: .mahalanobis, seed: 11),
            .init(dimension: 64, exponent: 1.0, separation: 2.0, separationMeasure: .mahalanobis, seed: 12),
            .init(dimension: 200, exponent: 1.5, separation: 0.5, meanDirection: .random, seed: 13),
            .init(dimension: 32, exponent: 2.0, separation: 0.3, meanDirection: .eigenvector(20), seed: 14),
            .init(dimension: 16, exponent: 1.0, separation: 1.5, separationMeasure: .mahalanobis, prior1: 0.3, seed: 15),
        ]
        for c in cases {
            let mixture = try GaussianMixture(c)
            let closed = try XCTUnwrap(mixture.closedFormBayesAccuracy, "equal covariances for \(c)")
            let (mc, se) = mixture.monteCarloBayesAccuracy(first: 0, count: 20000)
            XCTAssertEqual(mc, closed, accuracy: 3 * se, "d=\(c.dimension) α=\(c.exponent0) sep=\(c.separation): MC \(mc) ± \(se), closed \(closed)")
            XCTAssertGreaterThan(closed, 0.55, "the case must not be trivial")
            XCTAssertLessThan(closed, 0.99, "the case must not be trivial")
            if c.separationMeasure == .mahalanobis { XCTAssertEqual(mixture.mahalanobisDistance, c.separation, accuracy: 1e-10) }
        }
        // Along eigenvector k a Euclidean separation s is Δ = s / √λ_k.
        let m = try GaussianMixture(cases[3])
        XCTAssertEqual(m.mahalanobisDistance, 0.3 / m.eigenvalues[0][19].squareRoot(), accuracy: 1e-10)
    }

    /// The sample mean and covariance of each class match m_c and Σ_c = U_c Λ_c U_cᵀ (different
    /// bases, unequal exponents) within 5 standard errors of the estimates.
    func testSampleCovarianceMatchesSigma() throws {
        let d = 6, n = 40000
        let mixture = try GaussianMixture(.init(dimension: d, exponent: 1.0, exponent1: 0.3, eigenvectors: .different,
                                                separation: 1.0, seed: 21))
        XCTAssertNotEqual(mixture.bases[0], mixture.bases[1])
        let (x, labels) = mixture.samples(keys: Array(0 ..< n))
        let ones = labels.reduce(0) { $0 + Int($1) }
        XCTAssertEqual(Double(ones) / Double(n), 0.5, accuracy: 5 * (0.25 / Double(n)).squareRoot(), "class-1 fraction")
        for c in 0 ..< 2 {
            var sigma = mixture.bases[c]
            for i in 0 ..< d { for k in 0 ..< d { sigma[i, k] *= mixture.eigenvalues[c][k] } }
            sigma = sigma * mixture.bases[c].transposed
            var mean = [Double](repeating: 0, count: d), cov = [Double](repeating: 0, count: d * d), count = 0.0
            for r in 0 ..< n where labels[r] == c {
                count += 1
                for i in 0 ..< d {
                    let xi = x[r * d + i] - mixture.means[c][i]
                    mean[i] += xi
                    for j in 0 ..< d { cov[i * d + j] += xi * (x[r * d + j] - mixture.means[c][j]) }
                }
            }
            for i in 0 ..< d {
                XCTAssertEqual(mean[i] / count, 0, accuracy: 5 * (sigma[i, i] / count).squareRoot(), "class \(c) mean[\(i)]")
                for j in 0 ..< d {
                    let se = ((sigma[i, i] * sigma[j, j] + sigma[i, j] * sigma[i, j]) / count).squareRoot()
                    XCTAssertEqual(cov[i * d + j] / count, sigma[i, j], accuracy: 5 * se, "class \(c) Σ[\(i),\(j)]")
                }
            }
        }
        // Trace d per class (the documented normalisation).
        for c in 0 ..< 2 { XCTAssertEqual(mixture.eigenvalues[c].reduce(0, +), Double(d), accuracy: 1e-12) }
    }

    /// A sample is the same whatever the request order or rank share: a permuted request and two
    /// "rank" halves give bit-identical rows and labels.
    func testSamplesIndependentOfRequestOrderAndRankShare() throws {
        let mixture = try GaussianMixture(.init(dimension: 10, exponent: 1.0, eigenvectors: .different, separation: 2, seed: 31))
        let task = try GaussianMixtureTask(mixture: mixture, count: 100)
        func load(_ indices: [Int], on source: GaussianMixtureTask) throws -> ([Float], [Int32]) {
            var x = [Float](repeating: .nan, count: indices.count * 10), y = [Int32](repeating: -1, count: indices.count)
            try indices.withUnsafeBufferPointer { i in
                try x.withUnsafeMutableBufferPointer { xp in
                    try y.withUnsafeMutableBufferPointer { try source.load(indices: i, inputs: xp.baseAddress!, targets: nil, labels: $0.baseAddress!) }
                }
            }
            return (x, y)
        }
        let all = Array(0 ..< 64)
        let (x, y) = try load(all, on: task)
        XCTAssertTrue(Set(y) == [0, 1], "both classes appear")
        let permuted = all.reversed().map { $0 }
        let (xp, yp) = try load(permuted, on: task)
        for (r, i) in permuted.enumerated() {
            XCTAssertEqual(Array(xp[r * 10 ..< r * 10 + 10]), Array(x[i * 10 ..< i * 10 + 10]))
            XCTAssertEqual(yp[r], y[i])
        }
        // Two ranks, interleaved shares, each with a source of its own.
        let other = try GaussianMixtureTask(mixture: mixture, count: 100)
        let (x0, _) = try load(stride(from: 0, to: 64, by: 2).map { $0 }, on: task)
        let (x1, _) = try load(stride(from: 1, to: 64, by: 2).map { $0 }, on: other)
        for r in 0 ..< 32 {
            XCTAssertEqual(Array(x0[r * 10 ..< r * 10 + 10]), Array(x[2 * r * 10 ..< 2 * r * 10 + 10]))
            XCTAssertEqual(Array(x1[r * 10 ..< r * 10 + 10]), Array(x[(2 * r + 1) * 10 ..< (2 * r + 1) * 10 + 10]))
        }
        // The held-out set is other samples of the same distribution.
        let (xt, _) = try load([0], on: try task.heldOut(count: 10))
        XCTAssertNotEqual(Array(xt), Array(x[0 ..< 10]))
    }

    /// The comparison helpers: the LLR as the "network" logit agrees everywhere with correlation 1, its
    /// negation nowhere with −1; tallies of two halves add up to the whole; the closed form is NaN with a
    /// reason for different covariances.
    func testBayesComparisonHelpers() throws {
        let mixture = try GaussianMixture(.init(dimension: 12, exponent: 1.0, separation: 2, separationMeasure: .mahalanobis, seed: 41))
        let task = try GaussianMixtureTask(mixture: mixture, count: 3000)
        let (x, _) = mixture.samples(keys: Array(0 ..< 3000))
        let llr = mixture.logLikelihoodRatios(x)
        let same = task.compareWithBayes(logits: llr.map { Float($0) })
        XCTAssertEqual(same.agreement, 1, accuracy: 1e-3)
        XCTAssertEqual(same.logitCorrelation, 1, accuracy: 1e-6)
        XCTAssertEqual(same.networkAccuracy, same.bayesAccuracy, accuracy: 1e-3)
        XCTAssertEqual(same.closedFormBayesAccuracy, standardNormalCDF(1), accuracy: 1e-12)
        XCTAssertNil(same.closedFormUnavailableReason)
        let flipped = task.compareWithBayes(logits: llr.map { Float(-$0) })
        XCTAssertEqual(flipped.agreement, 0, accuracy: 1e-3)
        XCTAssertEqual(flipped.logitCorrelation, -1, accuracy: 1e-6)
        XCTAssertEqual(flipped.networkAccuracy, 1 - same.bayesAccuracy, accuracy: 1e-3)

        let logits = llr.map { Float(0.5 * $0 + 0.1) }
        var first = BayesTally(), second = BayesTally()
        logits.withUnsafeBufferPointer { l in
            let a = Array(0 ..< 1000), b = Array(1000 ..< 3000)
            a.withUnsafeBufferPointer { task.tally(indices: $0, logits: UnsafeBufferPointer(rebasing: l[0 ..< 1000]), into: &first) }
            b.withUnsafeBufferPointer { task.tally(indices: $0, logits: UnsafeBufferPointer(rebasing: l[1000 ..< 3000]), into: &second) }
        }
        let whole = task.compareWithBayes(logits: logits)
        let summed = (first + second).comparison(mixture: mixture)
        XCTAssertEqual(summed.samples, 3000)
        XCTAssertEqual(summed.agreement, whole.agreement, accuracy: 1e-12)
        XCTAssertEqual(summed.logitCorrelation, whole.logitCorrelation, accuracy: 1e-9)

        let different = try GaussianMixture(.init(dimension: 12, exponent: 1.0, eigenvectors: .different, separation: 2, seed: 41))
        let d = try GaussianMixtureTask(mixture: different, count: 10).compareWithBayes(logits: [Float](repeating: 0, count: 10))
        XCTAssertTrue(d.closedFormBayesAccuracy.isNaN)
        XCTAssertTrue(d.closedFormUnavailableReason?.contains("different eigenvectors") == true, d.closedFormUnavailableReason ?? "nil")
    }

    /// Bad configurations are refused with the parameter named.
    func testConfigurationErrorsNameTheParameter() {
        func parameter(_ c: GaussianMixture.Configuration) -> String? {
            do { _ = try GaussianMixture(c); return nil } catch let e as TrainingDataError { return e.parameter } catch { return "\(error)" }
        }
        XCTAssertEqual(parameter(.init(dimension: 0, exponent: 1, separation: 1, seed: 1)), "dimension")
        XCTAssertEqual(parameter(.init(dimension: 4, exponent: .nan, separation: 1, seed: 1)), "exponent0")
        XCTAssertEqual(parameter(.init(dimension: 4, exponent: 1, separation: -1, seed: 1)), "separation")
        XCTAssertEqual(parameter(.init(dimension: 4, exponent: 1, separation: 1, prior1: 1, seed: 1)), "prior1")
        XCTAssertEqual(parameter(.init(dimension: 4, exponent: 1, separation: 1, meanDirection: .eigenvector(5), seed: 1)), "meanDirection")
        XCTAssertEqual(parameter(.init(dimension: 4, exponent: 1, separation: 1, meanDirection: .axis(4), seed: 1)), "meanDirection")
        XCTAssertNil(parameter(.init(dimension: 4, exponent: 1, separation: 1, meanDirection: .axis(3), seed: 1)))
    }
}
