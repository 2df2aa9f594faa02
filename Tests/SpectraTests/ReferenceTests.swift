import Foundation
import Spectra
import XCTest

/// The reference formulas against independent values: limits, asymptotes and tabulated numbers.
final class ReferenceTests: XCTestCase {
    func testSineCosineIntegralsMatchTables() {
        // Abramowitz & Stegun table 5.1 and the large-x limits.
        let (si1, ci1) = SpecialFunctions.sineCosineIntegrals(1)
        XCTAssertEqual(si1, 0.946_083_070_367_183, accuracy: 1e-13)
        XCTAssertEqual(ci1, 0.337_403_922_900_968, accuracy: 1e-13)
        let (si5, ci5) = SpecialFunctions.sineCosineIntegrals(5)
        XCTAssertEqual(si5, 1.549_931_244_944_674, accuracy: 1e-12)
        XCTAssertEqual(ci5, -0.190_029_749_656_644, accuracy: 1e-12)
        // Continuity across the switch from series to continued fraction at x = 2.
        let a = SpecialFunctions.sineCosineIntegrals(2 - 1e-9), b = SpecialFunctions.sineCosineIntegrals(2 + 1e-9)
        XCTAssertEqual(a.si, b.si, accuracy: 1e-8)
        XCTAssertEqual(a.ci, b.ci, accuracy: 1e-8)
        let (siBig, ciBig) = SpecialFunctions.sineCosineIntegrals(1000)
        XCTAssertEqual(siBig, Double.pi / 2, accuracy: 2e-3)
        XCTAssertEqual(ciBig, sin(1000.0) / 1000, accuracy: 1e-5)
    }

    func testDigamma() {
        XCTAssertEqual(SpecialFunctions.digamma(1), -SpecialFunctions.eulerGamma, accuracy: 2e-14)
        XCTAssertEqual(SpecialFunctions.digamma(0.5), -SpecialFunctions.eulerGamma - 2 * log(2.0), accuracy: 2e-14)
        XCTAssertEqual(SpecialFunctions.digamma(10), 2.251_752_589_066_721, accuracy: 2e-14)
    }

    func testBrodyFitRecoversItsParameter() {
        // Quantiles of a Brody law with β = 0.6: the maximum-likelihood fit must find β again.
        let beta = 0.6, b = Spacings.brodyScale(beta), n = 20000
        let s = (0 ..< n).map { k in pow(-log(1 - (Double(k) + 0.5) / Double(n)) / b, 1 / (beta + 1)) }
        XCTAssertEqual(Spacings.fitBrody(s), beta, accuracy: 2e-3)
        XCTAssertEqual(Spacings.fitBrody(s), Spacings.fitBrody(s.reversed()), accuracy: 1e-12)
    }

    func testZeta() {
        XCTAssertEqual(SpecialFunctions.zeta(2), Double.pi * Double.pi / 6, accuracy: 1e-12)
        XCTAssertEqual(SpecialFunctions.zeta(0.5), -1.460_354_508_809_586_8, accuracy: 1e-11)
    }

    func testNumberVarianceLimitsAndAsymptotes() {
        for e in ReferenceEnsemble.allCases {
            // Σ²(L) = L − L² + … for small L (GOE/GUE), exactly L for Poisson.
            let small = 1e-3
            XCTAssertEqual(e.numberVariance(small), small - (e == .poisson ? 0 : small * small), accuracy: 1e-8, "\(e)")
        }
        // Large-L asymptotes (Mehta §16): GOE (2/π²)(ln 2πL + γ + 1 − π²/8), GUE (1/π²)(ln 2πL + γ + 1).
        let L = 200.5
        let goe = 2 / (Double.pi * Double.pi) * (log(2 * Double.pi * L) + SpecialFunctions.eulerGamma + 1 - Double.pi * Double.pi / 8)
        let gue = 1 / (Double.pi * Double.pi) * (log(2 * Double.pi * L) + SpecialFunctions.eulerGamma + 1)
        XCTAssertEqual(ReferenceEnsemble.goe.numberVariance(L), goe, accuracy: 2e-3)
        XCTAssertEqual(ReferenceEnsemble.gue.numberVariance(L), gue, accuracy: 2e-3)
    }

    func testRigidityAsymptotesAndPoisson() {
        XCTAssertEqual(ReferenceEnsemble.poisson.rigidity(12), 12.0 / 15, accuracy: 2e-14)
        // Δ₃ for large L: GOE (1/π²)(ln 2πL + γ − 5/4 − π²/8), GUE (1/(2π²))(ln 2πL + γ − 5/4).
        let L = 60.0
        let goe = (log(2 * Double.pi * L) + SpecialFunctions.eulerGamma - 1.25 - Double.pi * Double.pi / 8) / (Double.pi * Double.pi)
        let gue = (log(2 * Double.pi * L) + SpecialFunctions.eulerGamma - 1.25) / (2 * Double.pi * Double.pi)
        XCTAssertEqual(ReferenceEnsemble.goe.rigidity(L), goe, accuracy: 5e-3)
        XCTAssertEqual(ReferenceEnsemble.gue.rigidity(L), gue, accuracy: 5e-3)
        // Small L: Δ₃ → L/15 for every ensemble.
        XCTAssertEqual(ReferenceEnsemble.goe.rigidity(0.01), 0.01 / 15, accuracy: 1e-5)
    }

    func testDensitiesAreNormalisedWithUnitMean() {
        for e in ReferenceEnsemble.allCases {
            var mass = 0.0, mean = 0.0, ratioMass = 0.0
            let h = 1e-3
            for k in 0 ..< 20000 {
                let s = (Double(k) + 0.5) * h
                mass += e.spacingDensity(s) * h
                mean += s * e.spacingDensity(s) * h
            }
            for k in 0 ..< 1000 { ratioMass += e.gapRatioDensity((Double(k) + 0.5) * h) * h }
            XCTAssertEqual(mass, 1, accuracy: 1e-6, "\(e) spacing mass")
            XCTAssertEqual(mean, 1, accuracy: 1e-6, "\(e) mean spacing")
            XCTAssertEqual(ratioMass, 1, accuracy: 1e-5, "\(e) gap-ratio mass")
            XCTAssertEqual(e.spacingCDF(30), 1, accuracy: 1e-12)
            XCTAssertEqual(e.spacingCDF(1.3), { var c = 0.0; for k in 0 ..< 13000 { c += e.spacingDensity((Double(k) + 0.5) * 1e-4) * 1e-4 }; return c }(), accuracy: 1e-7)
        }
        XCTAssertEqual(Spectra.Spacings.brodyCDF(50, beta: 0.4), 1, accuracy: 1e-12)
    }

    func testFormFactorReferences() {
        XCTAssertEqual(ReferenceEnsemble.gue.formFactor(0.3), 0.3)
        XCTAssertEqual(ReferenceEnsemble.gue.formFactor(1.7), 1)
        // GOE is continuous at τ = 1 and tends to 1.
        XCTAssertEqual(ReferenceEnsemble.goe.formFactor(1 - 1e-9), ReferenceEnsemble.goe.formFactor(1 + 1e-9), accuracy: 1e-6)
        XCTAssertEqual(ReferenceEnsemble.goe.formFactor(100), 1, accuracy: 1e-4)
    }
}
