import Foundation
import XCTest
@testable import Learning

/// The lazy-training physics of the issue: NTK-parameterised one-hidden-layer MLPs (16 → w → 1,
/// β = 0.1) fitted to a fixed tanh teacher by full-batch gradient descent (plain SGD, learning
/// rate 0.5 for every width, 100 steps, 64 samples, 32 probes), widths 64 … 4096, seeds 1–3, all
/// 21 points in one log–log fit per diagnostic.
///
/// What the sweep measures (debug build, one core, ~17 s for the tanh sweep):
///
/// | diagnostic              | tanh          | ReLU (long test) |
/// |-------------------------|---------------|------------------|
/// | relative weight change  | −0.52 ± 0.03  | −0.54 ± 0.03     |
/// | linearisation gap       | −0.96 ± 0.05  | −0.64 ± 0.04     |
/// | NTK change              | −1.01 ± 0.05  | −0.82 ± 0.03     |
/// | second-order ratio      | −0.95 ± 0.05  | −0.98 ± 0.06     |
///
/// The weights move as width^−1/2 relative to their size, as the issue expects. The gap and the
/// kernel change do NOT fall as width^−1/2 but faster: as width^−1 for a smooth activation, which is
/// the 1/n scaling of Dyer & Gur-Ari (2019) and Huang & Yau (2019) — width^−1/2 is the upper bound
/// of the lazy-training theorems (Jacot et al. 2018, Lee et al. 2019, Chizat & Bach 2019), not the
/// rate. Our reading: the terms of order width^−1/2 average out over the hidden units under the
/// symmetric initialisation (tanh is odd); making the readout weights all positive still gives
/// slopes of −1 (measured: −1.01, −0.95), so the readout signs alone are not the reason. For ReLU the
/// kinks add a part between the two (activation patterns flip), and the second-order Taylor term,
/// blind to kinks, still falls as width^−1. Mini-batch SGD (batch 16 of 64, 200 steps) gives the same slopes within 0.01. The tests
/// assert the measured physics with the tolerances: relative weight change −1/2 ± 0.1;
/// for tanh gap, NTK change and second-order ratio −1 ± 0.15; for ReLU gap and NTK change at least
/// as steep as the width^−1/2 bound (slope ≤ −1/2 + 0.15) and no steeper than −1 − 0.15.
final class LazyTrainingTests: XCTestCase {
    static let widths = [64, 128, 256, 512, 1024, 2048, 4096]

    func testTanhNetworkLinearisesAsWidthGrows() throws {
        let start = Date()
        let fits = try lazyTrainingSweep(widths: Self.widths, seeds: [1, 2, 3])
        print("tanh sweep: \(Date().timeIntervalSince(start)) s")
        XCTAssertEqual(fits["relative_weight_change"]!.slope, -0.5, accuracy: 0.1)
        XCTAssertEqual(fits["linearization_gap"]!.slope, -1, accuracy: 0.15)
        XCTAssertEqual(fits["ntk_change"]!.slope, -1, accuracy: 0.15)
        XCTAssertEqual(fits["second_order_ratio"]!.slope, -1, accuracy: 0.15)
        for fit in fits.values { XCTAssertLessThan(fit.slopeStandardError, 0.1, "21 points pin every slope down") }
    }

    /// In the lazy regime the second-order Taylor term is the whole gap (smooth activation).
    func testGapIsTheSecondOrderTermAtLargeWidth() throws {
        let d = try WideNetworkStudy.run(LazyTrainingRun(width: 2048, seed: 1))
        XCTAssertEqual(d.linearizationGap / d.secondOrderRatio, 1, accuracy: 0.1)
        XCTAssertLessThan(d.finalLoss, d.initialLoss / 10, "the student learns the teacher")
    }

    func testReLUNetworkLinearisesAtLeastAsFastAsTheBound() throws {
        guard ProcessInfo.processInfo.environment["CASCADE_LONG_TESTS"] == "1" else {
            throw XCTSkip("set CASCADE_LONG_TESTS=1 for the ReLU width sweep (~16 s in a debug build)")
        }
        let fits = try lazyTrainingSweep(widths: Self.widths, seeds: [1, 2, 3]) { $0.activation = .relu }
        XCTAssertEqual(fits["relative_weight_change"]!.slope, -0.5, accuracy: 0.1)
        for name in ["linearization_gap", "ntk_change"] {
            XCTAssertLessThanOrEqual(fits[name]!.slope, -0.5 + 0.15, name)
            XCTAssertGreaterThanOrEqual(fits[name]!.slope, -1 - 0.15, name)
        }
    }

    func testBadConfigurationNamesTheField() {
        var run = LazyTrainingRun(width: 64, seed: 1)
        run.batch = 7
        XCTAssertThrowsError(try WideNetworkStudy.run(run)) { error in
            XCTAssertEqual((error as? LazyTrainingRunError)?.field, "batch")
            XCTAssertTrue("\(error)".contains("divisor"), "\(error)")
        }
        run = LazyTrainingRun(width: 0, seed: 1)
        XCTAssertThrowsError(try run.validate()) { XCTAssertEqual(($0 as? LazyTrainingRunError)?.field, "width") }
    }

    func testParameterCountAndDeterminism() throws {
        var run = LazyTrainingRun(width: 32, seed: 4)
        run.hiddenLayers = 2
        XCTAssertEqual(try run.makeStudent().store.count, run.parameterCount)
        run.steps = 20
        XCTAssertEqual(try WideNetworkStudy.run(run), try WideNetworkStudy.run(run), "same run, same numbers")
    }
}

/// Runs every (width, seed), prints the diagnostics and fits each against width over all points.
func lazyTrainingSweep(widths: [Int], seeds: [UInt64], configure: (inout LazyTrainingRun) -> Void = { _ in }) throws
    -> [String: PowerLawFit] {
    var runs: [[WideNetworkDiagnostics]] = []
    for w in widths {
        var row: [WideNetworkDiagnostics] = []
        for s in seeds {
            var run = LazyTrainingRun(width: w, seed: s)
            configure(&run)
            let start = Date()
            let d = try WideNetworkStudy.run(run)
            print(String(format: "width %5d seed %d: Δθ %.4g gap %.4g ntk %.4g 2nd %.4g loss %.4g → %.4g (%.2f s)",
                         w, s, d.relativeWeightChange, d.linearizationGap, d.ntkChange, d.secondOrderRatio,
                         d.initialLoss, d.finalLoss, Date().timeIntervalSince(start)))
            row.append(d)
        }
        runs.append(row)
    }
    let fits = try WideNetworkStudy.fits(widths: widths, runs: runs)
    for (name, fit) in zip(WideNetworkDiagnostics.names, fits) { print("\(name): slope \(fit.slope) ± \(fit.slopeStandardError)") }
    return Dictionary(uniqueKeysWithValues: zip(WideNetworkDiagnostics.names, fits))
}
