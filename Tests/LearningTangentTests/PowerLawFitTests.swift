import Foundation
import XCTest
@testable import Learning

/// The log–log fit recovers a known exponent, and its standard error is the real scatter of the
/// slope: over many synthetic sweeps with known noise, the slopes' standard deviation matches the
/// reported standard error and the theoretical σ/sqrt(Σ(log x − mean)²).
final class PowerLawFitTests: XCTestCase {
    let widths: [Double] = [64, 128, 256, 512, 1024, 2048, 4096]

    func testExactPowerLaw() throws {
        let fit = try PowerLawFit(x: widths, y: widths.map { 3 * pow($0, -0.5) })
        XCTAssertEqual(fit.slope, -0.5, accuracy: 1e-12)
        XCTAssertEqual(fit.prefactor, 3, accuracy: 1e-10)
        XCTAssertLessThan(fit.slopeStandardError, 1e-12)
        XCTAssertEqual(fit.points, 7)
    }

    /// Gaussian noise of σ = 0.1 in log y, 3 seeds per width: 21 points per sweep, 400 sweeps.
    func testStandardErrorMatchesTheScatterOfSlopes() throws {
        let sigma = 0.1, seeds = 3, sweeps = 400
        let x = widths.flatMap { Array(repeating: $0, count: seeds) }
        let lx = x.map { log($0) }, mean = lx.reduce(0, +) / Double(lx.count)
        let theoretical = sigma / lx.map { ($0 - mean) * ($0 - mean) }.reduce(0, +).squareRoot()
        var slopes: [Double] = [], errors: [Double] = []
        var state: UInt64 = 12345
        func gaussian() -> Double {  // Box–Muller on an LCG
            func u() -> Double {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return (Double(state >> 11) + 0.5) * 0x1.0p-53
            }
            return (-2 * log(u())).squareRoot() * cos(2 * Double.pi * u())
        }
        for _ in 0 ..< sweeps {
            let y = x.map { 2 * pow($0, -0.5) * exp(sigma * gaussian()) }
            let fit = try PowerLawFit(x: x, y: y)
            slopes.append(fit.slope)
            errors.append(fit.slopeStandardError)
        }
        let meanSlope = slopes.reduce(0, +) / Double(sweeps)
        let spread = (slopes.map { ($0 - meanSlope) * ($0 - meanSlope) }.reduce(0, +) / Double(sweeps - 1)).squareRoot()
        let meanError = errors.reduce(0, +) / Double(sweeps)
        print("slope \(meanSlope), spread \(spread), mean stderr \(meanError), theory \(theoretical)")
        XCTAssertEqual(meanSlope, -0.5, accuracy: 3 * theoretical / Double(sweeps).squareRoot())
        XCTAssertEqual(spread / theoretical, 1, accuracy: 0.1)
        XCTAssertEqual(meanError / theoretical, 1, accuracy: 0.05)
    }

    func testRefusals() {
        XCTAssertThrowsError(try PowerLawFit(x: [1, 2], y: [1, 2])) { XCTAssertEqual($0 as? PowerLawFitError, .tooFewPoints(2)) }
        XCTAssertThrowsError(try PowerLawFit(x: [1, 2, 3], y: [1, 0, 2])) { XCTAssertEqual($0 as? PowerLawFitError, .notPositive(x: 2, y: 0)) }
        XCTAssertThrowsError(try PowerLawFit(x: [4, 4, 4], y: [1, 2, 3])) { XCTAssertEqual($0 as? PowerLawFitError, .singleAbscissa(4)) }
        XCTAssertThrowsError(try PowerLawFit(x: [1, 2, 3], y: [1, 2])) { XCTAssertEqual($0 as? PowerLawFitError, .lengthMismatch(x: 3, y: 2)) }
    }
}
