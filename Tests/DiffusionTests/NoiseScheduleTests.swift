import Diffusion
import Foundation
import XCTest

final class NoiseScheduleTests: XCTestCase {
    /// ᾱ of Ho et al.'s linear schedule (1e-4 … 0.02 over 1000 steps): ᾱ_0 = 1 − 1e-4 by hand; ᾱ at paper steps
    /// 500 and 1000 from numpy (`np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))`).
    func testLinearAlphaBarAgainstHandValues() throws {
        let s = try NoiseSchedule.linear(steps: 1000)
        XCTAssertEqual(s.betas[0], 1e-4, accuracy: 1e-18)
        XCTAssertEqual(s.betas[999], 0.02, accuracy: 1e-17)
        XCTAssertEqual(s.betas[1] - s.betas[0], (0.02 - 1e-4) / 999, accuracy: 1e-17)
        XCTAssertEqual(s.alphaBars[0], 0.9999, accuracy: 1e-15)
        XCTAssertEqual(s.alphaBars[499], 0.07858724288177824, accuracy: 1e-13)
        XCTAssertEqual(s.alphaBars[999], 4.035829765375676e-05, accuracy: 1e-16)
        // Two steps by hand: ᾱ_1 = (1 − β_0)(1 − β_1).
        let two = try NoiseSchedule.linear(steps: 2, start: 0.1, end: 0.3)
        XCTAssertEqual(two.alphaBars[1], 0.9 * 0.7, accuracy: 1e-15)
        XCTAssertEqual(two.sqrtOneMinusAlphaBars[1], (1 - 0.63).squareRoot(), accuracy: 1e-15)
    }

    /// Cosine schedule: ᾱ(t) = cos²(((t/T + s)/(1 + s))π/2)/cos²((s/(1 + s))π/2) wherever β is not clipped
    /// (every step but the last for T = 1000), the numbers from numpy; the last β is clipped at 0.999.
    func testCosineAlphaBarAgainstHandValues() throws {
        let s = try NoiseSchedule.cosine(steps: 1000)
        func closedForm(_ tau: Double) -> Double {
            let f = { (u: Double) -> Double in pow(cos((u / 1000 + 0.008) / 1.008 * Double.pi / 2), 2) }
            return f(tau) / f(0)
        }
        XCTAssertEqual(s.alphaBars[0], 0.999958715775178, accuracy: 1e-14)
        XCTAssertEqual(s.alphaBars[499], 0.49384359044063775, accuracy: 1e-13)
        for t in [0, 1, 10, 250, 499, 750, 990, 998] {
            XCTAssertEqual(s.alphaBars[t], closedForm(Double(t + 1)), accuracy: 1e-12 * max(1, closedForm(Double(t + 1))), "t = \(t)")
        }
        XCTAssertEqual(s.betas[999], 0.999, "the last beta is clipped")
        XCTAssertEqual(s.alphaBars[998], 2.428766907034852e-06, accuracy: 1e-17)
        XCTAssertEqual(s.alphaBars[999], 2.428766907034852e-06 * 0.001, accuracy: 1e-19)
        XCTAssertTrue(s.betas.allSatisfy { $0 > 0 && $0 <= 0.999 })
    }

    /// β̃ and the posterior mean coefficients against Gaussian conditioning of the pair
    /// (x_{t−1}, x_t) given x_0: x_{t−1} = √ᾱ' x_0 + √(1 − ᾱ') e1, x_t = √α x_{t−1} + √β e2.
    func testPosteriorCoefficientsAgainstGaussianConditioning() throws {
        for s in [try NoiseSchedule.linear(steps: 50), try NoiseSchedule.cosine(steps: 50)] {
            for t in 0 ..< s.steps {
                let prev = t == 0 ? 1 : s.alphaBars[t - 1]
                XCTAssertEqual(s.previousAlphaBars[t], prev, accuracy: 1e-15)
                let cov = s.alphas[t].squareRoot() * (1 - prev), varT = 1 - s.alphaBars[t]
                let gain = cov / varT  // coefficient of x_t
                XCTAssertEqual(s.posteriorMeanCoefficientsOfXt[t], gain, accuracy: 1e-13)
                XCTAssertEqual(s.posteriorMeanCoefficientsOfX0[t], prev.squareRoot() - gain * s.sqrtAlphaBars[t], accuracy: 1e-13)
                XCTAssertEqual(s.posteriorVariances[t], (1 - prev) - cov * cov / varT, accuracy: 1e-13)
                XCTAssertLessThanOrEqual(s.posteriorVariances[t], s.betas[t] * (1 + 1e-12))
            }
            XCTAssertEqual(s.posteriorVariances[0], 0)
            XCTAssertEqual(s.posteriorMeanCoefficientsOfX0[0], 1, accuracy: 1e-15)
        }
    }

    func testBadSchedulesAreRefusedWithTheFix() {
        func message(_ body: () throws -> NoiseSchedule) -> String {
            do { _ = try body(); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { try .linear(steps: 0) }.contains("at least 1"))
        XCTAssertTrue(message { try .linear(steps: 10, start: 0.03, end: 0.02) }.contains("start <= beta end"))
        XCTAssertTrue(message { try .linear(steps: 10, start: 0.01, end: 1) }.contains("< 1"))
        XCTAssertTrue(message { try .linear(steps: 10, start: 0, end: 0.02) }.contains("0 < beta start"))
        XCTAssertTrue(message { try .cosine(steps: 10, offset: -1) }.contains("offset"))
        XCTAssertTrue(message { try .cosine(steps: 10, maxBeta: 1) }.contains("max beta"))
        XCTAssertTrue(message { try NoiseSchedule(betas: [0.1, .nan]) }.contains("beta[1]"))
        XCTAssertTrue(message { try NoiseSchedule(betas: [0.1, 1]) }.contains("beta[1]"))
        XCTAssertTrue(message { try NoiseSchedule(betas: []) }.contains("at least 1"))
        XCTAssertEqual(message { try NoiseSchedule(betas: [0.5, 0.5]) }, "accepted")
    }
}
