import CounterRNG
import Foundation
import Linalg
import Spectra
import SpectraReference
import XCTest

/// Multiplets: detection, sizes, and `reduce` on the exactly degenerate ±k pairs of stationary periodic data.
final class MultipletTests: XCTestCase {
    /// The eigenvalues of the d × d circulant C_ij = c((i − j) mod d) (LAPACK: exact pairs up to round-off).
    static func circulantSpectrum(_ c: [Double]) throws -> [Double] {
        let d = c.count
        var m = Matrix(rows: d, columns: d)
        for i in 0 ..< d { for j in 0 ..< d { m[i, j] = c[(i - j + d) % d] } }
        return try SymmetricEigen(m).values
    }

    /// A stationary periodic Gaussian process of period d (even) with the non-degenerate power spectrum
    /// S(k) = 1/(1 + (k/8)²), k = 0 … d/2: n samples x_j = Σ_k √(S(k)/d)(a_k cos 2πkj/d + b_k sin 2πkj/d), and
    /// its covariance averaged over the d translations (the circular autocovariance: a circulant, whose
    /// eigenvalues Ŝ(k) and Ŝ(d − k) are equal). The d/2 + 1 distinct levels Ŝ(k) are independent (sums of
    /// squares of independent Gaussians), so one level per pair has Poisson statistics (⟨r̃⟩ = 0.386); every
    /// level kept, every other spacing is zero and ⟨r̃⟩ collapses.
    func testStationaryPeriodicDataHasOneLevelPerPair() throws {
        let (d, n) = (400, 16)
        let rng = CounterRNG(seed: 31, stream: 0)
        var autocovariance = [Double](repeating: 0, count: d)
        for s in 0 ..< n {
            var x = [Double](repeating: 0, count: d)
            for k in 0 ... d / 2 {
                let amplitude = (1 / (1 + pow(Double(k) / 8, 2)) / Double(d)).squareRoot()
                let a = rng.normal(at: UInt64(2 * (s * d + k))), b = rng.normal(at: UInt64(2 * (s * d + k) + 1))
                for j in 0 ..< d {
                    let phase = 2 * Double.pi * Double(k * j) / Double(d)
                    x[j] += amplitude * (a * cos(phase) + b * sin(phase))
                }
            }
            for r in 0 ..< d { for j in 0 ..< d { autocovariance[r] += x[j] * x[(j + r) % d] / Double(n * d) } }
        }
        let levels = try Self.circulantSpectrum(autocovariance)
        var o = AnalysisOptions()
        o.zeroTolerance = 1e-10
        let keep = SpectralAnalysis(levels: levels, options: o)
        o.multiplets = .reduce
        let reduce = SpectralAnalysis(levels: levels, options: o)
        print(String(format: "circulant d = %d: %d multiplets (sizes %@), %d distinct; ⟨r⟩ keep %.3f, reduce %.3f", d,
                     keep.multiplets.count, keep.multiplets.sizeCounts.description, reduce.multiplets.distinctLevels,
                     keep.meanGapRatio, reduce.meanGapRatio))
        XCTAssertEqual(keep.multiplets.count, d / 2 - 1)            // k = 1 … d/2 − 1 pair; k = 0 and d/2 are single
        XCTAssertEqual(keep.multiplets.sizeCounts, [d / 2 - 1])
        XCTAssertEqual(reduce.multiplets.distinctLevels, d / 2 + 1)
        XCTAssertEqual(reduce.keptCount + reduce.trimmedLow + reduce.trimmedHigh, d / 2 + 1)
        XCTAssertEqual(keep.keptCount + keep.trimmedLow + keep.trimmedHigh, d)
        XCTAssertLessThan(keep.meanGapRatio, 0.05)
        // 160 kept ratios of a Poisson spectrum: standard error 0.29/√160 = 0.023.
        XCTAssertEqual(reduce.meanGapRatio, ReferenceEnsemble.poisson.meanGapRatio, accuracy: 0.07)
        // The rank-ordered spectrum, power law and entropy keep every level.
        XCTAssertEqual(reduce.rankOrdered.count, keep.rankOrdered.count)
        XCTAssertEqual(reduce.entropy, keep.entropy)
    }

    /// A circulant whose distinct eigenvalues are a GOE spectrum (λ_k = λ_{d−k} = the k-th GOE level): one
    /// level per pair recovers the GOE gap ratio, every level kept destroys it.
    func testReducedCirculantRecoversGOE() throws {
        let half = 300, d = 2 * half - 2          // k = 0 … d/2 = half − 1: `half` distinct levels
        let goe = try RandomSpectra.levels(.goe, size: half, seed: 3, stream: 0)
        var lambda = [Double](repeating: 0, count: d)
        for k in 0 ... d / 2 { lambda[k] = goe[k]; lambda[(d - k) % d] = goe[k] }
        let c = (0 ..< d).map { r in (0 ..< d).reduce(0.0) { $0 + lambda[$1] * cos(2 * Double.pi * Double($1 * r) / Double(d)) } / Double(d) }
        let levels = try Self.circulantSpectrum(c)
        var o = AnalysisOptions()
        o.unfolding = .semicircle
        let keep = SpectralAnalysis(levels: levels, options: o)
        o.multiplets = .reduce
        let reduce = SpectralAnalysis(levels: levels, options: o)
        print(String(format: "GOE circulant: %d distinct of %d, ⟨r⟩ keep %.3f, reduce %.3f", reduce.multiplets.distinctLevels, d,
                     keep.meanGapRatio, reduce.meanGapRatio))
        XCTAssertEqual(reduce.multiplets.distinctLevels, half)
        XCTAssertLessThan(keep.meanGapRatio, 0.05)
        XCTAssertEqual(reduce.meanGapRatio, ReferenceEnsemble.goe.meanGapRatio, accuracy: 0.04)   // 240 ratios: SE 0.013
        // GOE levels are distinct: nothing to reduce, nothing changes.
        let plain = SpectralAnalysis(levels: goe, options: o)
        XCTAssertEqual(plain.multiplets.count, 0)
        XCTAssertEqual(plain.multiplets.sizeCounts, [])
    }

    /// Near-degenerate multiplets (splitting 1e-8 of the mean spacing) are found with their sizes; a tolerance
    /// below the splitting does not join them.
    func testNearDegenerateSizes() {
        var levels: [Double] = []
        for i in 0 ..< 100 { levels.append(Double(i) + 0.3 * sin(Double(i))) }
        levels[10] = levels[9] + 1e-8                 // a doublet
        levels[41] = levels[40] + 1e-8; levels[42] = levels[41] + 1e-8   // a triplet
        let m = MultipletSummary(levels, mode: .reduce, tolerance: 1e-6, window: 20)
        XCTAssertEqual(m.groups, [9 ..< 11, 40 ..< 43])
        XCTAssertEqual(m.sizeCounts, [1, 1])
        XCTAssertEqual(m.distinctLevels, 97)
        let r = m.reduced(levels)
        XCTAssertEqual(r.count, 97)
        XCTAssertEqual(r[9], (levels[9] + levels[10]) / 2, accuracy: 1e-15)
        XCTAssertEqual(MultipletSummary(levels, mode: .keep, tolerance: 1e-9, window: 20).count, 0)
        // Equal levels (a zero local mean) form one multiplet.
        XCTAssertEqual(MultipletSummary([Double](repeating: 2, count: 5), mode: .keep, tolerance: 1e-6, window: 20).groups, [0 ..< 5])
    }
}
