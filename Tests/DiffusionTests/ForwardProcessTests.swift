import Diffusion
import Foundation
import XCTest

final class ForwardProcessTests: XCTestCase {
    /// Training pairs of one clean sample drawn for many global sample indices, on a 4-step schedule (so every t
    /// gets ~M/4 draws): t is uniform (counts within 5 binomial standard deviations), and per t the mean and
    /// variance of x_t match q(x_t | x_0) = N(√ᾱ x_0, 1 − ᾱ) within 5 standard errors (SE of the mean √(v/m), of
    /// the variance v √(2/m)); the two elements are uncorrelated within 5/√m; the ε target is exactly
    /// (x_t − √ᾱ x_0)/√(1 − ᾱ) and the v target √ᾱ ε − √(1 − ᾱ) x_0.
    func testNoisingMatchesTheClosedFormOfQ() throws {
        let schedule = try NoiseSchedule(betas: [0.1, 0.3, 0.5, 0.7])
        let process = ForwardProcess(schedule: schedule, seed: 2026)
        let x0: [Float] = [1.5, -0.5]
        let m = 40_000
        let samples = Array(0 ..< m)
        let clean = (0 ..< m).flatMap { _ in x0 }
        let pairs = try process.trainingPairs(clean: clean, samples: samples, step: 17)
        let v = try process.trainingPairs(clean: clean, samples: samples, step: 17, target: .velocity)
        XCTAssertEqual(v.noisy, pairs.noisy)
        XCTAssertEqual(v.timesteps, pairs.timesteps)
        var byStep = [[Int]](repeating: [], count: 4)
        for (b, t) in pairs.timesteps.enumerated() { byStep[t].append(b) }
        for t in 0 ..< 4 {
            let count = byStep[t].count, p = 0.25
            XCTAssertLessThan(abs(Double(count) - Double(m) * p), 5 * (Double(m) * p * (1 - p)).squareRoot(), "t = \(t) drawn \(count) times")
            let a = schedule.sqrtAlphaBars[t], s = schedule.sqrtOneMinusAlphaBars[t]
            var crossMoment = 0.0
            for e in 0 ..< 2 {
                let xs = byStep[t].map { Double(pairs.noisy[$0 * 2 + e]) }
                let mean = xs.reduce(0, +) / Double(count)
                let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(count - 1)
                let expectedMean = a * Double(x0[e]), expectedVariance = s * s
                XCTAssertEqual(mean, expectedMean, accuracy: 5 * (expectedVariance / Double(count)).squareRoot(), "t \(t) element \(e)")
                XCTAssertEqual(variance, expectedVariance, accuracy: 5 * expectedVariance * (2 / Double(count)).squareRoot(), "t \(t) element \(e)")
                for b in byStep[t] {
                    let eps = Double(pairs.targets[b * 2 + e])
                    XCTAssertEqual(Double(pairs.noisy[b * 2 + e]), a * Double(x0[e]) + s * eps, accuracy: 1e-5)
                    XCTAssertEqual(Double(v.targets[b * 2 + e]), a * eps - s * Double(x0[e]), accuracy: 1e-5)
                }
            }
            for b in byStep[t] { crossMoment += Double(pairs.targets[b * 2]) * Double(pairs.targets[b * 2 + 1]) }
            XCTAssertEqual(crossMoment / Double(count), 0, accuracy: 5 / Double(count).squareRoot(), "ε of the two elements correlated at t \(t)")
        }
    }

    /// A sample's pair depends on (seed, global sample index, step) only: the same whichever batch holds it and in
    /// whatever order; other steps and seeds give other pairs.
    func testPairsDoNotDependOnTheBatchTheSampleIsIn() throws {
        let process = ForwardProcess(schedule: try .cosine(steps: 100), seed: 5)
        let n = 6
        let clean = (0 ..< 8 * n).map { Float($0 % 7) * 0.25 - 0.5 }
        let whole = try process.trainingPairs(clean: clean, samples: Array(100 ..< 108), step: 3)
        let front = try process.trainingPairs(clean: Array(clean[0 ..< 3 * n]), samples: Array(100 ..< 103), step: 3)
        let back = try process.trainingPairs(clean: Array(clean[3 * n ..< 8 * n]), samples: Array(103 ..< 108), step: 3)
        XCTAssertEqual(front.noisy + back.noisy, whole.noisy)
        XCTAssertEqual(front.targets + back.targets, whole.targets)
        XCTAssertEqual(front.timesteps + back.timesteps, whole.timesteps)
        let reversed = try process.trainingPairs(clean: Array(clean[5 * n ..< 6 * n] + clean[2 * n ..< 3 * n]), samples: [105, 102], step: 3)
        XCTAssertEqual(reversed.targets, Array(whole.targets[5 * n ..< 6 * n] + whole.targets[2 * n ..< 3 * n]))
        let nextStep = try process.trainingPairs(clean: clean, samples: Array(100 ..< 108), step: 4)
        XCTAssertNotEqual(nextStep.targets, whole.targets)
        let otherSeed = try ForwardProcess(schedule: try .cosine(steps: 100), seed: 6).trainingPairs(clean: clean, samples: Array(100 ..< 108), step: 3)
        XCTAssertNotEqual(otherSeed.targets, whole.targets)
    }

    func testBadBatchesAreRefused() throws {
        let process = ForwardProcess(schedule: try .linear(steps: 10), seed: 1)
        XCTAssertThrowsError(try process.trainingPairs(clean: [1, 2, 3], samples: [0, 1], step: 0)) { XCTAssertTrue("\($0)".contains("do not split")) }
        XCTAssertThrowsError(try process.trainingPairs(clean: [1, .nan], samples: [0, 9], step: 0)) { XCTAssertTrue("\($0)".contains("sample 9")) }
        XCTAssertThrowsError(try process.trainingPairs(clean: [1], samples: [-1], step: 0)) { XCTAssertTrue("\($0)".contains("sample index -1")) }
        XCTAssertThrowsError(try process.trainingPairs(clean: [1], samples: [0], step: -2)) { XCTAssertTrue("\($0)".contains("training step")) }
    }
}
