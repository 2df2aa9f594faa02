import Foundation
import Spectra
import XCTest

/// The Airy function and the Tracy–Widom F₁ against known values.
final class TracyWidomTests: XCTestCase {
    /// Ai and Ai′ against scipy.special.airy (SciPy 1.17.1, the Cephes/AMOS implementation).
    func testAiryAgainstScipy() {
        let table: [(Double, Double, Double)] = [
            (-10, 0.040241238486441955, 0.9962650441327905), (-5, 0.3507610090241142, 0.3271928185544436),
            (-2, 0.22740742820168564, 0.618259020741691), (-1, 0.5355608832923522, -0.010160567116645175),
            (0, 0.3550280538878172, -0.2588194037928068), (1, 0.13529241631288147, -0.15914744129679328),
            (2, 0.03492413042327436, -0.05309038443365388), (5, 0.00010834442813607433, -0.0002474138908684623),
            (8, 4.6922076160992236e-08, -1.3414392979067844e-07), (10, 1.1047532552898654e-10, -3.520633676738912e-10),
        ]
        for (x, ai, aip) in table {
            let r = Airy.ai(x)
            XCTAssertEqual(r.value, ai, accuracy: 2e-15 + 1e-12 * abs(ai), "Ai(\(x))")
            XCTAssertEqual(r.derivative, aip, accuracy: 2e-15 + 1e-12 * abs(aip), "Ai'(\(x))")
        }
        // Between grid points and across the switch to the asymptotic series (x = 10).
        XCTAssertEqual(Airy.ai(9.999999).value, Airy.ai(10.000001).value, accuracy: 1e-15)
    }

    /// Mean and variance of F₁ by quadrature of its CDF against Bornemann's (2010, Table 10) values
    /// −1.2065335745820 and 1.6077810345810; F₁(0) = 0.8319080662029523 (Bornemann's method with 25 nodes,
    /// TracyWidom.jl); Johnstone's (2001, Table 1) percentiles, given to two decimals.
    func testTracyWidomKnownValues() {
        XCTAssertEqual(TracyWidom.cdf(0), 0.8319080662029523, accuracy: 1e-13)
        XCTAssertEqual(TracyWidom.cdf(0.1), 0.849358, accuracy: 1e-6)
        XCTAssertEqual(TracyWidom.cdf(0.2), 0.865444, accuracy: 1e-6)
        // E[s] = ∫₀^∞ (1 − F) ds − ∫_{−∞}^0 F ds; E[s²] = 2∫₀^∞ s(1 − F) ds − 2∫_{−∞}^0 s F ds (Gauss–Legendre on
        // [−14, 0] and [0, 14]: the integrands are below 1e-20 beyond).
        let (xi, w) = TracyWidom.gaussLegendre(80)
        var mean = 0.0, second = 0.0
        for (x, wk) in zip(xi, w) {
            let sNeg = -7 * (x + 1), sPos = 7 * (x + 1)
            let fNeg = TracyWidom.cdf(sNeg), tailPos = TracyWidom.survival(sPos)
            mean += 7 * wk * (tailPos - fNeg)
            second += 7 * wk * 2 * (sPos * tailPos - sNeg * fNeg)
        }
        XCTAssertEqual(mean, -1.2065335745820, accuracy: 1e-11)
        XCTAssertEqual(second - mean * mean, 1.6077810345810, accuracy: 1e-10)
        let percentiles: [(Double, Double)] = [(0.01, -3.90), (0.05, -3.18), (0.10, -2.78), (0.30, -1.91), (0.50, -1.27),
                                               (0.70, -0.59), (0.90, 0.45), (0.95, 0.98), (0.99, 2.02)]
        for (p, q) in percentiles { XCTAssertEqual(TracyWidom.quantile(p), q, accuracy: 0.005 + 1e-9, "F₁⁻¹(\(p))") }
        // Upper tail: 1 − F₁(s) → tr K_s = ∫ₛ^∞ ½Ai(x) dx ~ e^{−(2/3)s^{3/2}} / (4√π s^{3/4}), relative O(s^{−3/2}).
        let s = 8.0
        let asymptote = exp(-2.0 / 3 * pow(s, 1.5)) / (4 * Double.pi.squareRoot() * pow(s, 0.75))
        XCTAssertEqual(TracyWidom.survival(s) / asymptote, 1, accuracy: 0.1)
        XCTAssertEqual(TracyWidom.cdf(-20), 0)
    }
}
