import Covariance
import Datasets
import Foundation
import Linalg
import Parallel
import Spectra
import XCTest

/// Covariance on one rank against direct formulas, and the power-law source's exponent.
final class CovarianceTests: XCTestCase {
    /// Two-pass covariance computed naively, for comparison.
    func naiveCovariance(_ x: [Double], n: Int, d: Int) -> [Double] {
        var mean = [Double](repeating: 0, count: d)
        for r in 0 ..< n { for f in 0 ..< d { mean[f] += x[r * d + f] / Double(n) } }
        var c = [Double](repeating: 0, count: d * d)
        for r in 0 ..< n { for i in 0 ..< d { for j in 0 ..< d { c[i * d + j] += (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]) } } }
        return c.map { $0 / Double(n - 1) }
    }

    func testCovarianceOfShiftedDataIsCentredCorrectly() throws {
        // A large common offset defeats the one-pass E[xxᵀ] − μμᵀ formula; the two-pass result must not care.
        let (n, d) = (301, 7)
        var block = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 4)
        let naive = naiveCovariance(block.values, n: n, d: d)
        block.values = block.values.map { $0 + 1e8 }
        // 64 rows per call: several syrk chunks.
        let (mean, c) = try ShardedCovariance.covariance(block, communicator: .world, chunkRows: 64)
        XCTAssertEqual(mean[0], 1e8, accuracy: 1)
        let worst = zip(c.elements, naive).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(worst, 1e-6, "covariance of data offset by 1e8")
        let r = ShardedCovariance.correlation(fromCovariance: c)
        XCTAssertEqual(r[2, 2], 1)
        XCTAssertEqual(r[1, 3], c[1, 3] / (c[1, 1] * c[3, 3]).squareRoot(), accuracy: 1e-15)
    }

    func testGramMatchesDirectProduct() throws {
        let (n, d) = (40, 25)
        let block = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 8)
        let (moments, g) = try ShardedCovariance.gram(block, standardize: false, communicator: .world)
        var worst = 0.0
        for a in 0 ..< n {
            for b in 0 ..< n {
                var s = 0.0
                for f in 0 ..< d { s += (block.values[a * d + f] - moments.mean[f]) * (block.values[b * d + f] - moments.mean[f]) }
                worst = max(worst, abs(g[a, b] - s / Double(d)))
            }
        }
        XCTAssertLessThan(worst, 1e-13)
        // Nonzero Gram eigenvalues equal (n − 1)/d times the covariance eigenvalues.
        let cov = try ShardedCovariance.covariance(block, communicator: .world).matrix
        let rank = min(n - 1, d)
        let ge = try SymmetricEigen(g).values.suffix(rank), ce = try SymmetricEigen(cov).values.suffix(rank)
        for (x, y) in zip(ge, ce) { XCTAssertEqual(x, y * Double(n - 1) / Double(d), accuracy: 1e-11 * ge.last!) }
    }

    /// The Toeplitz power-law covariance ρ(k) ∝ k^{−γ} implies λᵢ ∝ i^{−(1+α)} with α = −γ.
    func testPowerLawExponentIsRecovered() throws {
        for gamma in [0.3, 0.5, 0.7] {
            // Exact population spectrum.
            let exact = try SymmetricEigen(SyntheticData.powerLawCovariance(features: 1024, exponent: gamma)).values
            let fit = PowerLaw.fit(PowerLaw.rankOrdered(exact), ranks: 2 ... 100)!
            let auto = PowerLaw.automaticFit(PowerLaw.rankOrdered(exact), minimumR2: 0.999)!
            // Sample covariance of 6000 samples of d = 256.
            let d = 256, n = 6000
            let block = try SyntheticData.powerLaw(samples: 0 ..< n, total: n, features: d, exponent: gamma, seed: 11)
            let sample = try SymmetricEigen(ShardedCovariance.covariance(block, communicator: .world).matrix).values
            let sfit = PowerLaw.automaticFit(PowerLaw.rankOrdered(sample), minimumR2: 0.995)!
            print(String(format: "γ = %.2f: α exact-spectrum %.4f (R² %.5f), auto [%d, %d] %.4f (R² %.5f), sample auto [%d, %d] %.4f (R² %.4f)",
                         gamma, fit.alpha, fit.r2, auto.firstRank, auto.lastRank, auto.alpha, auto.r2, sfit.firstRank, sfit.lastRank, sfit.alpha, sfit.r2))
            XCTAssertEqual(fit.alpha, -gamma, accuracy: 0.04, "exact spectrum, ranks 2…100, γ = \(gamma)")
            XCTAssertEqual(auto.alpha, -gamma, accuracy: 0.01, "exact spectrum, automatic range, γ = \(gamma)")
            XCTAssertEqual(sfit.alpha, -gamma, accuracy: 0.05, "sample covariance, automatic range, γ = \(gamma)")
        }
    }
}
