import Linalg
import XCTest
@testable import Learning
import LearningTestSupport

/// The linearisation diagnostics on small models where the answers are known: exact weight
/// change, zero gap for a model linear in its parameters, gap → 0 linearly as Δθ → 0 and equal to
/// the second-order ratio there, and an NTK equal to an explicit J·Jᵀ built column by column from
/// forward-mode JVPs (independent of the per-sample backward passes it is computed with).
final class LinearizationTests: XCTestCase {
    /// 4 → 16 → 16 → 2, Tanh, NTK parameterisation; batch 4 so 10 probes go through in 3 chunks.
    func smoothModel(batch: Int = 4) throws -> Sequential {
        try Sequential(inputFeatures: 4, batch: batch, seed: 3, [
            Dense(outputs: 16, initialization: .ntk(beta: 0.1)), Tanh(),
            Dense(outputs: 16, initialization: .ntk(beta: 0.1)), Tanh(),
            Dense(outputs: 2, initialization: .ntk(beta: 0.1)),
        ])
    }

    func setParameters(_ model: Sequential, _ theta0: [Float], plus t: Float, _ direction: [Float]) {
        model.store.values = zip(theta0, direction).map { $0 + t * $1 }
    }

    func testRelativeWeightChangeIsExact() throws {
        let model = try smoothModel()
        let probes = testValues(40, seed: 2, scale: 2)
        let lin = try Linearization(model: model, probes: probes, probeCount: 10)
        XCTAssertEqual(lin.relativeWeightChange(), 0)
        let theta0 = model.store.values, d = testValues(theta0.count, seed: 4)
        setParameters(model, theta0, plus: 0.01, d)
        var moved = 0.0, size = 0.0
        for (a, b) in zip(model.store.values, theta0) {
            moved += (Double(a) - Double(b)) * (Double(a) - Double(b))
            size += Double(b) * Double(b)
        }
        let expected = moved.squareRoot() / size.squareRoot()
        XCTAssertEqual(lin.relativeWeightChange(), expected, accuracy: 1e-12 * expected)
        XCTAssertEqual(lin.measure().relativeWeightChange, expected, accuracy: 1e-12 * expected)
        XCTAssertEqual(model.store.values, zip(theta0, d).map { $0 + 0.01 * $1 }, "measure() restores θ_t")
    }

    /// A single Dense layer is linear in θ: f_lin = f exactly, ½ΔθᵀHΔθ = 0 exactly.
    func testLinearModelHasNoGap() throws {
        let model = try Sequential(inputFeatures: 4, batch: 4, seed: 3, [Dense(outputs: 3, initialization: .ntk(beta: 0.5))])
        let lin = try Linearization(model: model, probes: testValues(40, seed: 2), probeCount: 10)
        let theta0 = model.store.values
        setParameters(model, theta0, plus: 0.3, testValues(theta0.count, seed: 4))
        let m = lin.measure()
        XCTAssertEqual(m.secondOrderRatio, 0)
        XCTAssertLessThan(m.linearizationGap, 1e-5, "float32 rounding only")
        XCTAssertGreaterThan(m.outputChange, 0.1)
    }

    /// gap(t) for θ = θ₀ + t·d: the linear model is exact to first order, so gap = O(t) with the
    /// coefficient of the second-order term, and gap / second-order ratio → 1.
    func testGapVanishesLinearlyAndMatchesTheSecondOrderTerm() throws {
        let model = try smoothModel()
        let lin = try Linearization(model: model, probes: testValues(40, seed: 2, scale: 2), probeCount: 10)
        let theta0 = model.store.values, d = testValues(theta0.count, seed: 4)
        let steps: [Float] = [0.1, 0.05, 0.02, 0.01]
        var gaps: [Double] = [], ratios: [Double] = []
        for t in steps {
            setParameters(model, theta0, plus: t, d)
            let m = lin.measure()
            gaps.append(m.linearizationGap)
            ratios.append(m.secondOrderRatio)
            print("t \(t): gap \(m.linearizationGap), second-order ratio \(m.secondOrderRatio), ‖JΔθ‖ \(m.firstOrderNorm)")
        }
        let fit = try PowerLawFit(x: steps.map(Double.init), y: gaps)
        print("gap ∝ t^\(fit.slope) ± \(fit.slopeStandardError)")
        XCTAssertEqual(fit.slope, 1, accuracy: 0.05, "the gap of the exact linearisation is first order in Δθ")
        // The second-order ratio is exactly linear in t (½t²·vᵀHv over t·Jv).
        XCTAssertEqual(ratios[0] / ratios[3], 10, accuracy: 1e-3)
        for (g, r) in zip(gaps, ratios) { XCTAssertEqual(g / r, 1, accuracy: 0.1) }
        XCTAssertEqual(gaps.last! / ratios.last!, 1, accuracy: 0.02)
    }

    /// Explicit J (probes·outputs × parameters), column k = J·e_k from `jvp`.
    func explicitJacobian(_ model: Sequential, probes: [Float], probeCount: Int) -> [[Double]] {
        let n = model.store.count, rows = probeCount * model.outputFeatures
        var j = [[Double]](repeating: [Double](repeating: 0, count: n), count: rows)
        var e = [Float](repeating: 0, count: n)
        let features = model.inputFeatures, outputs = model.outputFeatures
        for k in 0 ..< n {
            e[k] = 1
            var start = 0
            while start < probeCount {
                let r = min(model.batch, probeCount - start)
                let column = model.jvp(x: Array(probes[start * features ..< (start + r) * features]), direction: e, rows: r)
                for i in 0 ..< r * outputs { j[start * outputs + i][k] = Double(column[i]) }
                start += r
            }
            e[k] = 0
        }
        return j
    }

    func testNTKEqualsExplicitJJTransposeAndIsSymmetricPositiveSemidefinite() throws {
        let model = try Sequential(inputFeatures: 3, batch: 2, seed: 8, [
            Dense(outputs: 5, initialization: .ntk(beta: 0.3)), Tanh(), Dense(outputs: 2, initialization: .ntk(beta: 0.3)),
        ])
        let probeCount = 4, probes = testValues(12, seed: 6, scale: 2), size = probeCount * 2
        let j = explicitJacobian(model, probes: probes, probeCount: probeCount)
        var explicit = [Double](repeating: 0, count: size * size)
        for a in 0 ..< size { for b in 0 ..< size { explicit[a * size + b] = zip(j[a], j[b]).map(*).reduce(0, +) } }
        let scale = explicit.map(abs).max()!
        let rowBytes = model.store.count * MemoryLayout<Float>.size
        // Whole J in one block, then blocks of 3 rows (3 + 3 + 2: uneven), then of 1 row.
        for budget in [EmpiricalNTK.defaultMemoryBudget, 2 * 3 * rowBytes, 2 * rowBytes] {
            let ntk = EmpiricalNTK(model: model, probes: probes, probeCount: probeCount, memoryBudget: budget)
            XCTAssertEqual(ntk.size, size)
            let worst = zip(ntk.values, explicit).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst / scale, 1e-6, "budget \(budget): Θ against explicit J·Jᵀ")
            for a in 0 ..< size { for b in 0 ..< size { XCTAssertEqual(ntk[a, b], ntk[b, a], "symmetric") } }
            XCTAssertEqual(model.store.gradients, [Float](repeating: 0, count: model.store.count))
        }
        XCTAssertEqual(EmpiricalNTK.jacobianBytes(parameters: model.store.count, probes: probeCount, outputs: 2), size * rowBytes)
    }

    func testNTKIsPositiveSemidefiniteWithMoreProbesThanParameters() throws {
        // 24 probes × 1 output of a 37-parameter model... and a rank-deficient case: 48 rows > 37.
        let model = try Sequential(inputFeatures: 2, batch: 8, seed: 4, [
            Dense(outputs: 9, initialization: .ntk(beta: 0.1)), GELU(), Dense(outputs: 1, initialization: .ntk(beta: 0.1)),
        ])
        XCTAssertEqual(model.store.count, 37)
        let ntk = EmpiricalNTK(model: model, probes: testValues(96, seed: 1, scale: 2), probeCount: 48)
        let eigen = try SymmetricEigen(Matrix(rows: 48, columns: 48, elements: ntk.values))
        let top = eigen.values.last!
        print("NTK eigenvalues: min \(eigen.values.first!), max \(top)")
        XCTAssertGreaterThan(top, 0)
        XCTAssertGreaterThan(eigen.values.first!, -1e-5 * top, "Θ = J·Jᵀ is positive semi-definite")
        XCTAssertLessThan(abs(eigen.values[48 - 37 - 1]), 1e-5 * top, "rank ≤ parameters: the 11 lowest eigenvalues are 0")
    }

    func testNTKChangeIsRelativeFrobenius() {
        let a = EmpiricalNTK(size: 2, values: [2, 1, 1, 2]), b = EmpiricalNTK(size: 2, values: [2, 1, 1, 3])
        XCTAssertEqual(b.relativeChange(from: a), 1 / 10.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(a.relativeChange(from: a), 0)
    }
}
