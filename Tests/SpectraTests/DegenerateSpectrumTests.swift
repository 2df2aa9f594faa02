import Foundation
import Spectra
import XCTest

/// Defect 15: spectra too small or degenerate to determine a statistic give NaN with a reason, not
/// confident numbers (KS 0.000, α = −1 with R² 1).
final class DegenerateSpectrumTests: XCTestCase {
    func positive() -> AnalysisOptions {
        var o = AnalysisOptions()
        o.zeroTolerance = 1e-10
        return o
    }

    func reasons(_ a: SpectralAnalysis) -> [String: String] {
        Dictionary(uniqueKeysWithValues: a.undefined.map { ($0.statistic, $0.reason) })
    }

    /// A covariance of 2 samples has one nonzero eigenvalue: no spacing, no power law. Before: KS 0.000.
    func testOneNonzeroLevel() {
        let a = SpectralAnalysis(levels: [0, 0, 0, 0, 3.5], options: positive())
        for e in ReferenceEnsemble.allCases { XCTAssertTrue(a.ksDistance[e]!.isNaN, "KS to \(e): \(a.ksDistance[e]!)") }
        XCTAssertTrue(a.ksBrody.isNaN && a.brodyBeta.isNaN && a.meanGapRatio.isNaN)
        XCTAssertTrue(a.numberVariance.measured.allSatisfy(\.isNaN) && a.formFactor.measured.allSatisfy(\.isNaN))
        XCTAssertNil(a.powerLaw)
        XCTAssertEqual(a.entropy, 0)          // one level: p = 1, H = 0 is defined
        let r = reasons(a)
        XCTAssertEqual(Set(r.keys), ["power_law", "unfolded", "gap_ratio"])
        XCTAssertTrue(r["unfolded"]!.contains("fewer than \(SpectralAnalysis.minimumKeptLevels)"), r["unfolded"]!)
        XCTAssertEqual(a.warnings.count, 3)
    }

    /// Constant features standardised give the identity: every level equal. Before: α = −1.0000, R² 1.0000.
    func testEqualLevels() {
        let a = SpectralAnalysis(levels: [Double](repeating: 1, count: 50), options: positive())
        XCTAssertNil(a.powerLaw)
        XCTAssertTrue(a.ksDistance[.poisson]!.isNaN && a.meanGapRatio.isNaN)
        XCTAssertEqual(a.entropy, log(50), accuracy: 1e-12)   // the identity's entropy is ln d: defined
        let r = reasons(a)
        XCTAssertTrue(r["power_law"]!.contains("all equal"), r["power_law"]!)
        XCTAssertTrue(r["unfolded"]!.contains("all equal"), r["unfolded"]!)
        XCTAssertTrue(a.scalars[1].isNaN && a.scalars[2].isNaN, "alpha and its R² are NaN: \(a.scalars[1]), \(a.scalars[2])")
    }

    /// The automatic range needs a window of ≥ 8 ranks spanning a decade; 5 levels have none. Before: a fit over 1…5.
    func testPowerLawNeedsTheDocumentedRanks() {
        let levels = (1 ... 5).map { pow(Double($0), -1.3) }
        let a = SpectralAnalysis(levels: levels, options: positive())
        XCTAssertNil(a.powerLaw)
        XCTAssertTrue(reasons(a)["power_law"]!.contains("fewer than \(PowerLaw.minimumAutomaticLevels)"))
        var o = positive()
        o.powerLawRanks = 1 ... 3
        XCTAssertEqual(SpectralAnalysis(levels: levels, options: o).powerLaw?.alpha ?? .nan, 0.3, accuracy: 1e-12)
        o.powerLawRanks = 4 ... 9
        XCTAssertNil(SpectralAnalysis(levels: levels, options: o).powerLaw)
    }

    /// A zero matrix (constant features): every level a zero mode. Before: entropy 0, effective rank 0.
    func testNoPositiveLevels() {
        var o = positive()
        o.wishart = .covariance(samples: 100, features: 20)    // the Marchenko–Pastur fit is undefined too
        let a = SpectralAnalysis(levels: [Double](repeating: 0, count: 20), options: o)
        XCTAssertEqual(a.zerosDropped, 20)
        XCTAssertTrue(a.entropy.isNaN && a.effectiveRank.isNaN && a.participationRatio.isNaN)
        XCTAssertEqual(Set(reasons(a).keys), Set(SpectralAnalysis.statisticGroups))
        // The packed scalars keep their length (the sweep's layout) and the curves their bins.
        XCTAssertEqual(a.scalars.count, SpectralAnalysis.scalarNames(lengths: AnalysisOptions().lengths).count)
        XCTAssertEqual(a.formFactor.measured.count, AnalysisOptions().tauPoints)
        XCTAssertEqual(a.spacing.measured.count, AnalysisOptions().spacingBins)
    }

    /// At the minimum a spectrum is analysed and every statistic is defined.
    func testMinimumIsEnough() {
        let levels = (0 ..< 13).map { Double($0) + 0.3 * sin(Double($0)) }
        var o = AnalysisOptions()
        o.lengths = [1, 2]
        let a = SpectralAnalysis(levels: levels, options: o)   // 13 levels, 1 trimmed at each end: 11 kept
        XCTAssertEqual(a.keptCount, 11)
        XCTAssertFalse(a.undefined.contains { $0.statistic == "unfolded" || $0.statistic == "gap_ratio" }, "\(a.undefined)")
        XCTAssertTrue(a.ksDistance[.goe]!.isFinite && a.meanGapRatio.isFinite)
    }
}
