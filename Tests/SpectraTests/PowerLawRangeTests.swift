import Covariance
import Foundation
import Linalg
import Parallel
import Spectra
import XCTest

/// The power-law fit range that stops at the Marchenko–Pastur noise edge, and the two conventions of α.
final class PowerLawRangeTests: XCTestCase {
    /// A population spectrum k^−1.5 over ranks 1…100 (α = 0.5 in λ_i ∝ i^−(1+α), 1.5 in λ_i ∝ i^−α; the smallest
    /// 1e-3) and white noise of variance σ² = 4e-4 in the other 300 directions, d = 400, sampled n = 4000 times.
    /// Below rank 100 the sample spectrum is the noise's Marchenko–Pastur bulk (edge 6.7e-4, just below the
    /// signal), which continues the power law smoothly enough for R² ≥ 0.99: the range ending at the noise edge
    /// recovers α (measured 0.4977 over ranks 1…100), the range chosen by R² alone runs into the noise tail
    /// (0.5373 over 1…181).
    func testRangeStopsAtTheNoiseEdge() throws {
        let (n, d) = (4000, 400)
        let population = (1 ... d).map { $0 <= 100 ? pow(Double($0), -1.5) : 4e-4 }
        var block = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 21)
        let scale = population.map { $0.squareRoot() }
        for r in 0 ..< n { for f in 0 ..< d { block.values[r * d + f] *= scale[f] } }
        let levels = try SymmetricEigen(ShardedCovariance.covariance(block, communicator: .world).matrix).values
        var o = AnalysisOptions()
        o.zeroTolerance = 1e-10
        o.wishart = .covariance(samples: n, features: d)
        o.powerLawMinimumR2 = 0.99
        let noiseEdge = SpectralAnalysis(levels: levels, options: o)
        o.powerLawAboveNoise = false
        let r2Only = SpectralAnalysis(levels: levels, options: o)
        o.powerLawAboveNoise = true
        o.powerLawConvention = .alpha
        let literature = SpectralAnalysis(levels: levels, options: o)
        let mp = try XCTUnwrap(noiseEdge.marchenkoPastur)
        let fit = try XCTUnwrap(noiseEdge.powerLaw), plain = try XCTUnwrap(r2Only.powerLaw)
        print(String(format: "noise σ² %.2e (true 4e-4), edge %.2e, %d above, %d significant; noise-edge rule: α %.4f over %d…%d (R² %.4f); R² only: α %.4f over %d…%d (R² %.4f)",
                     mp.sigma2, mp.upperEdge, mp.aboveEdge, mp.significant, fit.alpha, fit.firstRank, fit.lastRank, fit.r2,
                     plain.alpha, plain.firstRank, plain.lastRank, plain.r2))
        XCTAssertEqual(mp.sigma2, 4e-4, accuracy: 4e-5)
        XCTAssertLessThanOrEqual(fit.lastRank, mp.significant)
        XCTAssertEqual(fit.alpha, 0.5, accuracy: 0.05)
        XCTAssertGreaterThan(abs(plain.alpha - 0.5), abs(fit.alpha - 0.5))
        XCTAssertTrue(noiseEdge.powerLawRangeRule.contains("noise edge"), noiseEdge.powerLawRangeRule)
        // The literature's convention reports 1 + α for the same fit.
        XCTAssertEqual(literature.alpha(literature.powerLaw), fit.alpha + 1, accuracy: 1e-12)
        XCTAssertEqual(literature.scalars[1], fit.alpha + 1, accuracy: 1e-12)
        XCTAssertEqual(noiseEdge.scalars[1], fit.alpha, accuracy: 1e-12)
    }
}
