import Foundation
import Turbulence
import XCTest

/// ``VorticityFieldStatistics`` against sums over the Fourier coefficients of fields whose
/// coefficients are known exactly (``CompareFixtures``).
final class FieldStatisticsTests: XCTestCase {
    /// The shell spectrum is Σ_{shell} ½|ω̂|²/k² / Δk mode by mode, and ½⟨|u|²⟩ = Σ_s E(k_s)Δk plus
    /// the energy of the corner modes beyond shell N/2 (in no shell, as in ns2d's spectra).
    func testShellSpectrumIsTheModeSumOfTheKnownCoefficients() throws {
        for (n, box) in [(32, 2 * Double.pi), (24, 3.0)] {
            let (field, hat) = try CompareFixtures.powerLawField(n: n, alpha: 3, seed: 5)
            let s = try VorticityFieldStatistics(n: n, options: CompareFixtures.options(separations: [1, 2], box: box))
            let stats = s.statistics(of: field)
            let dk = 2 * Double.pi / box
            var expected = [Double](repeating: 0, count: n / 2 + 1), corners = 0.0
            for i in 0 ..< n {
                for j in 0 ..< n {
                    let mx = CompareFixtures.signed(j, n), my = CompareFixtures.signed(i, n)
                    let m2 = Double(mx * mx + my * my), shell = Int(m2.squareRoot().rounded())
                    guard m2 > 0 else { continue }
                    let a2 = hat[2 * (i * n + j)] * hat[2 * (i * n + j)] + hat[2 * (i * n + j) + 1] * hat[2 * (i * n + j) + 1]
                    if shell <= n / 2 { expected[shell] += 0.5 * a2 / (dk * dk * m2) / dk } else { corners += 0.5 * a2 / (dk * dk * m2) }
                }
            }
            XCTAssertEqual(stats.energySpectrum.count, n / 2 + 1)
            for (shell, (got, want)) in zip(stats.energySpectrum, expected).enumerated() {
                XCTAssertEqual(got, want, accuracy: 1e-12 * expected.max()!, "N = \(n), L = \(box), shell \(shell)")
            }
            XCTAssertGreaterThan(corners, 0)
            XCTAssertEqual(stats.energySpectrum.reduce(0, +) * dk + corners, stats.energy, accuracy: 1e-12 * stats.energy)
            XCTAssertEqual(stats.velocityCounts.reduce(0, +), Double(2 * n * n))
            XCTAssertEqual(stats.vorticityCounts.reduce(0, +), Double(n * n))
        }
    }

    /// ⟨δu_L²⟩(r) = Σ_k |û|²·2(1 − cos(kx r)) (and v along y): the box mean of a squared increment
    /// depends on the amplitudes only. ζ₂ fitted to the computed S₂ is the slope of this exact sum;
    /// for E(k) ∝ k^{−5/3} it is near the continuum's α − 1 = 2/3: the mode sum itself gives
    /// 2/3 + 0.037 over r = 8…16 on 128² (the band limit at N/2 steepens small r, the box flattens
    /// large r; the same sum in numpy gives +0.032 over r = 8…32 on 256²), so the tolerance is 0.05.
    func testSecondOrderStructureFunctionAndZeta2OfAPowerLawSpectrum() throws {
        let n = 128, alpha = 5.0 / 3.0, separations = [1, 2, 4, 8, 12, 16]
        let (field, hat) = try CompareFixtures.powerLawField(n: n, alpha: alpha, seed: 11)
        let s = try VorticityFieldStatistics(n: n, options: CompareFixtures.options(separations: separations))
        let stats = s.statistics(of: field)
        let exact = separations.map { r -> Double in
            var sum = 0.0
            for i in 0 ..< n {
                for j in 0 ..< n {
                    let mx = CompareFixtures.signed(j, n), my = CompareFixtures.signed(i, n)
                    let m2 = Double(mx * mx + my * my)
                    guard m2 > 0 else { continue }
                    let a2 = hat[2 * (i * n + j)] * hat[2 * (i * n + j)] + hat[2 * (i * n + j) + 1] * hat[2 * (i * n + j) + 1]
                    let u2 = Double(my * my) * a2 / (m2 * m2), v2 = Double(mx * mx) * a2 / (m2 * m2)
                    sum += u2 * 2 * (1 - cos(2 * Double.pi * Double(mx * r) / Double(n)))
                    sum += v2 * 2 * (1 - cos(2 * Double.pi * Double(my * r) / Double(n)))
                }
            }
            return sum / 2
        }
        for (q, r) in separations.enumerated() {
            XCTAssertEqual(stats.structureAbsolute[0][q], exact[q], accuracy: 1e-11 * exact[q], "S2(\(r))")
            XCTAssertEqual(stats.structureSigned[0][q], exact[q], accuracy: 1e-11 * exact[q], "signed S2(\(r))")
        }
        let r = separations.map(Double.init)
        let zeta2 = EnsembleStatistics.logLogSlope(x: r, y: stats.structureAbsolute[0], range: 8 ... 16)
        let exactSlope = EnsembleStatistics.logLogSlope(x: r, y: exact, range: 8 ... 16)
        XCTAssertEqual(zeta2, exactSlope, accuracy: 1e-9)
        XCTAssertEqual(zeta2, alpha - 1, accuracy: 0.05)
        // A steeper spectrum gives a steeper S₂: the exponent follows α.
        let (steep, _) = try CompareFixtures.powerLawField(n: n, alpha: 2.5, seed: 11)
        let zetaSteep = EnsembleStatistics.logLogSlope(x: r, y: s.statistics(of: steep).structureAbsolute[0], range: 8 ... 16)
        XCTAssertGreaterThan(zetaSteep, zeta2 + 0.4)
    }

    /// ⟨ε⟩ = Σ ν k^{2n}|û|² for every viscosity order (the definition of
    /// ``Dissipation/localDissipationDefinition``), and the q = 1 box moments are 1.
    func testMeanLocalDissipationIsTheSpectralSum() throws {
        let n = 32
        let (field, hat) = try CompareFixtures.powerLawField(n: n, alpha: 2, seed: 3)
        for order in 1 ... 4 {
            let nu = 1e-3
            let s = try VorticityFieldStatistics(n: n, options: CompareFixtures.options(separations: [1], viscosity: nu, order: order))
            let stats = s.statistics(of: field)
            var spectral = 0.0
            for i in 0 ..< n {
                for j in 0 ..< n {
                    let mx = CompareFixtures.signed(j, n), my = CompareFixtures.signed(i, n)
                    let k2 = Double(mx * mx + my * my)
                    guard k2 > 0, abs(mx) < n / 2, abs(my) < n / 2 else { continue }
                    let a2 = hat[2 * (i * n + j)] * hat[2 * (i * n + j)] + hat[2 * (i * n + j) + 1] * hat[2 * (i * n + j) + 1]
                    spectral += nu * pow(k2, Double(order)) * a2 / k2
                }
            }
            XCTAssertEqual(stats.meanDissipation, spectral, accuracy: 1e-11 * spectral, "viscosity order \(order)")
            XCTAssertEqual(s.boxSizes, [1, 2, 4, 8, 16])
            for (b, moments) in stats.dissipationMoments.enumerated() {
                XCTAssertEqual(moments[0], 1, accuracy: 1e-12, "box \(s.boxSizes[b])")
                XCTAssertGreaterThanOrEqual(moments[1], 1 - 1e-12, "⟨ε_r²⟩ ≥ ⟨ε_r⟩²")
            }
            // Boxes of side 1 are the points: ⟨ε²⟩/⟨ε⟩² of the raw field, the largest of all box sizes.
            XCTAssertEqual(stats.dissipationMoments.map { $0[1] }.max(), stats.dissipationMoments[0][1])
        }
    }

    /// Every statistic is a scalar of the flow: the same for a field rotated or reflected by any
    /// element of D4 (with ω's sign flipped under reflections), and for a translated field. This
    /// fails if the sign rule or the velocity's orientation were wrong (S₃ would flip sign).
    func testStatisticsAreInvariantUnderTheBoxSymmetries() throws {
        let n = 32, separations = [1, 2, 3, 5, 8]
        let (field, _) = try CompareFixtures.powerLawField(n: n, alpha: 2, seed: 9)
        // Skewed increments need a non-Gaussian field: square it (then remove the mean).
        let squared = field.map { $0 * $0 }, mean = squared.reduce(0, +) / Double(n * n)
        let skewed = zip(field, squared).map { $0 + 0.3 * ($1 - mean) }
        let s = try VorticityFieldStatistics(n: n, options: CompareFixtures.options(separations: separations))
        let reference = s.statistics(of: skewed)
        XCTAssertGreaterThan(reference.structureSigned[1].map(abs).max()!, 1e-3 * reference.structureAbsolute[1].max()!,
                             "the test field has S₃ ≠ 0")
        for g in 0 ..< BoxSymmetry.count {
            let moved = BoxSymmetry.translate(BoxSymmetry.apply(g, to: skewed, n: n), by: 5, 11, n: n)
            let stats = s.statistics(of: moved)
            func close(_ a: [Double], _ b: [Double], _ what: String) {
                let scale = b.map(abs).max() ?? 1
                for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-10 * scale, "\(what), element \(g)") }
            }
            close(stats.energySpectrum, reference.energySpectrum, "spectrum")
            for q in 0 ..< FieldStatistics.orders.count {
                close(stats.structureAbsolute[q], reference.structureAbsolute[q], "⟨|δu|^\(q + 2)⟩")
                close(stats.structureSigned[q], reference.structureSigned[q], "⟨δu^\(q + 2)⟩")
            }
            XCTAssertEqual(stats.meanDissipation, reference.meanDissipation, accuracy: 1e-10 * reference.meanDissipation)
            XCTAssertEqual(stats.energy, reference.energy, accuracy: 1e-12 * reference.energy)
        }
    }

    /// The velocity of ω = 2k cos(kx) cos(ky)·… : for ψ = sin(kx) sin(ky)·… the exact u = ∂yψ, v = −∂xψ.
    func testVelocityOfACellularFlow() throws {
        let n = 16, k = 2.0
        let h = 2 * Double.pi / Double(n)
        var field = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n { for j in 0 ..< n { field[i * n + j] = 2 * k * k * sin(k * Double(j) * h) * sin(k * Double(i) * h) } }
        let s = try VorticityFieldStatistics(n: n, options: CompareFixtures.options(separations: [1]))
        let (u, v) = s.velocity(of: field)
        for i in 0 ..< n {
            for j in 0 ..< n {
                let x = Double(j) * h, y = Double(i) * h
                XCTAssertEqual(u[i * n + j], k * sin(k * x) * cos(k * y), accuracy: 1e-12)
                XCTAssertEqual(v[i * n + j], -k * cos(k * x) * sin(k * y), accuracy: 1e-12)
            }
        }
    }
}
