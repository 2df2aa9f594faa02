import Foundation
import Spectra
import SpectraReference
import XCTest

/// Defect 14: a polynomial staircase fit that decreases gives negative spacings, KS distances above 1 and
/// absurd Σ²; the unfolding must increase on the kept levels (a lower degree replaces a decreasing fit).
final class UnfoldingMonotonicityTests: XCTestCase {
    /// λᵢ = i^{−1.5}, i = 1…200: a power-law spectrum whose degree-9 staircase fit decreases near the dense end.
    let powerLaw = (1 ... 200).map { pow(Double($0), -1.5) }.sorted()

    func options(degree: Int) -> AnalysisOptions {
        var o = AnalysisOptions()
        o.unfolding = .polynomial(degree: degree)
        return o
    }

    func assertValid(_ a: SpectralAnalysis, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let steps = zip(a.unfolded.dropFirst(), a.unfolded).map { $0 - $1 }
        XCTAssertTrue(steps.allSatisfy { $0 >= 0 }, "\(what): negative unfolded spacings, min \(steps.min() ?? 0)", file: file, line: line)
        for (e, d) in a.ksDistance { XCTAssertTrue(d >= 0 && d <= 1, "\(what): KS to \(e) = \(d)", file: file, line: line) }
        XCTAssertTrue(a.ksBrody >= 0 && a.ksBrody <= 1, "\(what): KS to Brody = \(a.ksBrody)", file: file, line: line)
    }

    /// The reported case: `rmt-synthetic` with source.type = "poisson", size 256, seed 7, degree 7 (stream 0 is the
    /// job's draw). Before: 4 negative spacings and KS to Poisson 0.738.
    func testPoissonLevelsUnfoldMonotonically() throws {
        let levels = try RandomSpectra.levels(.poisson, size: 256, seed: 7, stream: 0)
        let a = SpectralAnalysis(levels: levels, options: options(degree: 7))
        assertValid(a, "Poisson N = 256")
        // 205 Poisson spacings: the KS distance to e^{−s} is a few times 1/√205 ≈ 0.07, not 0.74.
        XCTAssertLessThan(a.ksDistance[.poisson]!, 0.15)
        XCTAssertLessThan(a.ksDistance[.poisson]!, a.ksDistance[.goe]!)
    }

    /// Before: negative spacings and KS to Poisson 7.5 (the closed-form CDF evaluated at negative s).
    func testPowerLawSpectrumUnfoldsMonotonically() {
        let a = SpectralAnalysis(levels: powerLaw, options: options(degree: 9))
        assertValid(a, "power law i^-1.5")
        // Σ²(L) is the variance of the number of unfolded levels in [x, x + L) over the window grid: count by brute
        // force (the fast path's moving pointers assume increasing levels).
        let e = a.unfolded, windows = AnalysisOptions().windows
        for (L, measured) in zip(a.numberVariance.x, a.numberVariance.measured) {
            let span = e.last! - e.first! - L
            guard span > 0 else { XCTAssertTrue(measured.isNaN); continue }
            let counts = (0 ..< windows).map { k -> Double in
                let x = e.first! + span * (Double(k) + 0.5) / Double(windows)
                return Double(e.filter { $0 >= x && $0 < x + L }.count)
            }
            let mean = counts.reduce(0, +) / Double(windows)
            let variance = counts.reduce(0) { $0 + $1 * $1 } / Double(windows) - mean * mean
            XCTAssertEqual(measured, variance, accuracy: 1e-9 * max(1, variance), "Σ²(\(L))")
        }
    }

    func testFallbackIsRecorded() throws {
        let levels = try RandomSpectra.levels(.poisson, size: 256, seed: 7, stream: 0)
        let a = SpectralAnalysis(levels: levels, options: options(degree: 7))
        XCTAssertEqual(a.unfoldingName, "polynomial-6")
        XCTAssertNotNil(a.unfoldingFallback)
        XCTAssertTrue(a.warnings.contains { $0.contains("polynomial-7") && $0.contains("polynomial-6") }, "\(a.warnings)")
        let names = SpectralAnalysis.scalarNames(lengths: AnalysisOptions().lengths)
        XCTAssertEqual(a.scalars[names.firstIndex(of: "unfolding_fallback")!], 1)
        // A fit that increases is kept as asked, with no warning.
        let goe = SpectralAnalysis(levels: try RandomSpectra.levels(.goe, size: 400, seed: 7, stream: 0), options: options(degree: 9))
        XCTAssertEqual(goe.unfoldingName, "polynomial-9")
        XCTAssertNil(goe.unfoldingFallback)
        XCTAssertEqual(goe.scalars[names.firstIndex(of: "unfolding_fallback")!], 0)
    }

    func testCheckedUnfoldingIncreasesAndLowersTheDegreeOnlyAsFarAsNeeded() {
        let n = powerLaw.count
        let range = 20 ..< n - 20
        let u = Unfolding.unfoldChecked(powerLaw, kept: range, method: .polynomial(degree: 9))
        XCTAssertTrue(Unfolding.isIncreasing(u.levels, on: powerLaw[range]))
        guard case .polynomial(let d) = u.method else { return XCTFail("method \(u.method)") }
        XCTAssertLessThan(d, 9)
        // The next degree up decreases somewhere: the highest increasing degree was chosen.
        let above = Unfolding.unfoldChecked(powerLaw, kept: range, method: .polynomial(degree: d + 1))
        XCTAssertNotEqual(above.method, .polynomial(degree: d + 1))
    }

    /// A KS distance is a sup of differences of two CDFs: never above 1, and negative spacings are not spacings.
    func testKSDistanceIgnoresInvalidSpacings() {
        let d = Spacings.ksDistance([-3, 0.5, 1, .nan], cdf: ReferenceEnsemble.poisson.spacingCDF)
        XCTAssertEqual(d, Spacings.ksDistance([0.5, 1], cdf: ReferenceEnsemble.poisson.spacingCDF), accuracy: 0)
        XCTAssertLessThanOrEqual(d, 1)
        for e in ReferenceEnsemble.allCases { XCTAssertEqual(e.spacingCDF(-2), 0, "\(e)") }
    }
}
