import Covariance
import Foundation
import Spectra
import SpectraReference
import XCTest

/// Statistics of synthetic GOE, GUE and Poisson spectra against their closed forms.
///
/// Tolerances are statistical: one fixed seed, so the outcome is deterministic, with sample
/// sizes chosen so that each tolerance is at least ~2.5 standard errors (see docs/rmt.md).
final class EnsembleStatisticsTests: XCTestCase {
    static let seed: UInt64 = 20260423

    /// Pooled mean gap ratio over `draws` spectra of size n, trimming 5% at each end.
    func pooledGapRatio(_ kind: RandomSpectra.Kind, size n: Int, draws: Int) throws -> (mean: Double, count: Int) {
        var sum = 0.0, count = 0
        for d in 0 ..< draws {
            let levels = try RandomSpectra.levels(kind, size: n, seed: Self.seed, stream: UInt64(d))
            let trim = n / 20
            let r = GapRatio.ratios(Array(levels[trim ..< n - trim]))
            sum += r.reduce(0, +)
            count += r.count
        }
        return (sum / Double(count), count)
    }

    func testMeanGapRatioOfEnsembles() throws {
        for kind in RandomSpectra.Kind.allCases {
            let reference: ReferenceEnsemble = kind == .goe ? .goe : kind == .gue ? .gue : .poisson
            let (mean, count) = try pooledGapRatio(kind, size: 1000, draws: 12)
            print("⟨r⟩ \(kind.rawValue): \(mean) from \(count) ratios (reference \(reference.meanGapRatio))")
            XCTAssertEqual(mean, reference.meanGapRatio, accuracy: 0.005, "\(kind)")
        }
    }

    /// Σ²(L) and Δ₃(L), 1 ≤ L ≤ 20, averaged over `draws` spectra of size n.
    func averagedCurves(_ kind: RandomSpectra.Kind, size n: Int, draws: Int, unfolding: UnfoldingMethod) throws -> (lengths: [Double], sigma2: [Double], delta3: [Double]) {
        var o = AnalysisOptions()
        o.unfolding = unfolding
        o.windows = 2000
        var sigma2 = [Double](repeating: 0, count: o.lengths.count), delta3 = sigma2
        for d in 0 ..< draws {
            let a = SpectralAnalysis(levels: try RandomSpectra.levels(kind, size: n, seed: Self.seed, stream: UInt64(100 + d)), options: o)
            for k in 0 ..< o.lengths.count {
                sigma2[k] += a.numberVariance.measured[k] / Double(draws)
                delta3[k] += a.rigidity.measured[k] / Double(draws)
            }
        }
        return (o.lengths, sigma2, delta3)
    }

    /// GOE (semicircle unfolding, 10% trimmed at each end, 4 draws of N = 2000): Σ² within 10% and
    /// Δ₃ within 5% of the Dyson–Mehta formulas for every L in 1…20.
    func testNumberVarianceAndRigidityOfGOE() throws {
        let c = try averagedCurves(.goe, size: 2000, draws: 4, unfolding: .semicircle)
        for (k, L) in c.lengths.enumerated() {
            let s2 = ReferenceEnsemble.goe.numberVariance(L), d3 = ReferenceEnsemble.goe.rigidity(L)
            print(String(format: "GOE L=%4.1f  Σ² %.4f (ref %.4f)  Δ₃ %.4f (ref %.4f)", L, c.sigma2[k], s2, c.delta3[k], d3))
            XCTAssertEqual(c.sigma2[k], s2, accuracy: 0.10 * s2, "GOE Σ²(\(L))")
            XCTAssertEqual(c.delta3[k], d3, accuracy: 0.05 * d3, "GOE Δ₃(\(L))")
            // And clearly not Poisson beyond the smallest windows.
            if L >= 6 { XCTAssertLessThan(c.delta3[k], 0.5 * ReferenceEnsemble.poisson.rigidity(L)) }
        }
    }

    /// Poisson (cubic polynomial unfolding, 4 draws of N = 2000): Σ² = L within 12% and Δ₃ = L/15 within 5%.
    func testNumberVarianceAndRigidityOfPoisson() throws {
        let c = try averagedCurves(.poisson, size: 2000, draws: 4, unfolding: .polynomial(degree: 3))
        for (k, L) in c.lengths.enumerated() {
            print(String(format: "Poisson L=%4.1f  Σ² %.4f (ref %.4f)  Δ₃ %.4f (ref %.4f)", L, c.sigma2[k], L, c.delta3[k], L / 15))
            XCTAssertEqual(c.sigma2[k], L, accuracy: 0.12 * L, "Poisson Σ²(\(L))")
            XCTAssertEqual(c.delta3[k], L / 15, accuracy: 0.05 * L / 15, "Poisson Δ₃(\(L))")
        }
    }

    /// GOE spacings: Brody β near 1, KS distance smallest to the GOE surmise; Poisson: β near 0.
    func testSpacingsIdentifyTheEnsemble() throws {
        var o = AnalysisOptions()
        o.unfolding = .semicircle
        let goe = SpectralAnalysis(levels: try RandomSpectra.levels(.goe, size: 2000, seed: Self.seed, stream: 7), options: o)
        XCTAssertEqual(goe.brodyBeta, 1, accuracy: 0.1)
        XCTAssertLessThan(goe.ksDistance[.goe]!, goe.ksDistance[.gue]!)
        XCTAssertLessThan(goe.ksDistance[.goe]!, goe.ksDistance[.poisson]!)
        let gue = SpectralAnalysis(levels: try RandomSpectra.levels(.gue, size: 1500, seed: Self.seed, stream: 7), options: o)
        XCTAssertLessThan(gue.ksDistance[.gue]!, gue.ksDistance[.goe]!)
        XCTAssertGreaterThan(gue.brodyBeta, 1.3)
        o.unfolding = .polynomial(degree: 5)
        let poisson = SpectralAnalysis(levels: try RandomSpectra.levels(.poisson, size: 2000, seed: Self.seed, stream: 7), options: o)
        XCTAssertEqual(poisson.brodyBeta, 0, accuracy: 0.1)
        XCTAssertLessThan(poisson.ksDistance[.poisson]!, poisson.ksDistance[.goe]!)
        // The form factor of GOE levels is far below Poisson's K = 1 at small τ.
        let early = goe.formFactor.x.indices.filter { goe.formFactor.x[$0] > 0.2 && goe.formFactor.x[$0] < 0.6 }
        let mean = early.map { goe.formFactor.measured[$0] }.reduce(0, +) / Double(early.count)
        XCTAssertLessThan(mean, 0.8)
    }

    /// The O(1)-per-window Δ₃ equals the direct sum over the staircase steps.
    func testFastRigidityEqualsStepSum() throws {
        let levels = try RandomSpectra.levels(.goe, size: 1500, seed: 4, stream: 0)
        var o = AnalysisOptions()
        o.unfolding = .semicircle
        let unfolded = SpectralAnalysis(levels: levels, options: o).unfolded
        let lengths = [0.5, 1, 3.7, 10, 20, 45]
        let fast = LongRangeStatistics.rigidity(unfolded, lengths: lengths, windows: 700)
        for (k, L) in lengths.enumerated() {
            let slow = LongRangeStatistics.rigidityBySteps(unfolded, length: L, windows: 700)
            XCTAssertEqual(fast[k], slow, accuracy: 1e-8 * slow, "Δ₃(\(L))")
        }
        // Poisson levels with an offset (as after trimming): still exact.
        let poisson = try RandomSpectra.levels(.poisson, size: 3000, seed: 4, stream: 0).map { $0 + 700 }
        XCTAssertEqual(LongRangeStatistics.rigidity(poisson, lengths: [15], windows: 500)[0],
                       LongRangeStatistics.rigidityBySteps(poisson, length: 15, windows: 500), accuracy: 1e-9)
    }

    /// The same levels give bit-identical statistics (no Monte Carlo anywhere).
    func testAnalysisIsDeterministic() throws {
        let levels = try RandomSpectra.levels(.goe, size: 600, seed: 3, stream: 1)
        let a = SpectralAnalysis(levels: levels, options: AnalysisOptions())
        let b = SpectralAnalysis(levels: levels.reversed(), options: AnalysisOptions())
        XCTAssertEqual(a.scalars.map(\.bitPattern), b.scalars.map(\.bitPattern))
        XCTAssertEqual(a.formFactor, b.formFactor)
        XCTAssertEqual(try RandomSpectra.levels(.gue, size: 50, seed: 3, stream: 1), try RandomSpectra.levels(.gue, size: 50, seed: 3, stream: 1))
    }
}
