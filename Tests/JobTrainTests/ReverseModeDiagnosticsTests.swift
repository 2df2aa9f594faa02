import XCTest
@testable import JobKit
@testable import JobTrain
import Learning

/// The placeholder lazy-training diagnostics: per-probe gradients against central differences,
/// the NTK as their Gram matrix, the linearisation gap of a small step against its definition.
final class ReverseModeDiagnosticsTests: XCTestCase {
    func model() throws -> Sequential {
        let spec = ModelSpec(input: .vector(3), layers: [.dense(units: 5, initialization: .ntk, beta: 0.1), .activation(.tanh),
                                                         .dense(units: 1, initialization: .ntk, beta: 0.1)])
        return try spec.build(batch: 4, seed: 11)
    }

    let probes: [Float] = [0.3, -1.2, 0.8, 1.1, 0.4, -0.5, -0.7, 0.9, 0.2, 0.05, -0.3, 1.4]

    func testGradientRowsMatchCentralDifferences() throws {
        let m = try model()
        let n = m.store.count
        var row = [Float](repeating: 0, count: n)
        for i in 0 ..< 4 {
            row.withUnsafeMutableBufferPointer { ReverseModeDiagnostics.gradient(m, probes: probes, index: i, into: $0) }
            for k in 0 ..< n {
                let saved = m.store.values[k], h: Float = 1e-2
                m.store.values[k] = saved + h
                let up = ReverseModeDiagnostics.outputs(m, probes: probes, count: 4)[i]
                m.store.values[k] = saved - h
                let down = ReverseModeDiagnostics.outputs(m, probes: probes, count: 4)[i]
                m.store.values[k] = saved
                XCTAssertEqual(Double(row[k]), (up - down) / Double(2 * h), accuracy: 2e-3, "probe \(i), parameter \(k)")
            }
        }
    }

    func testNTKIsTheGramMatrixOfTheRows() throws {
        let m = try model()
        let n = m.store.count
        let theta = ReverseModeDiagnostics.ntk(m, probes: probes, count: 4)
        var rows = [[Float]](repeating: [Float](repeating: 0, count: n), count: 4)
        for i in 0 ..< 4 { rows[i].withUnsafeMutableBufferPointer { ReverseModeDiagnostics.gradient(m, probes: probes, index: i, into: $0) } }
        for i in 0 ..< 4 {
            for j in 0 ..< 4 {
                let dot = zip(rows[i], rows[j]).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                XCTAssertEqual(theta[i * 4 + j], dot, accuracy: 1e-9 * max(1, abs(dot)))
            }
        }
        XCTAssertEqual(ReverseModeDiagnostics.relativeChange(theta, from: theta), 0)
    }

    func testLinearizationGapOfASmallStepIsSecondOrder() throws {
        let m = try model()
        let theta0 = m.store.values
        func gap(_ scale: Float) -> Double {
            let delta = (0 ..< m.store.count).map { scale * Float(($0 % 7) - 3) / 3 }
            m.store.values = zip(theta0, delta).map { $0 + $1 }
            let outputsT = ReverseModeDiagnostics.outputs(m, probes: probes, count: 4)
            m.store.values = theta0
            return ReverseModeDiagnostics.linearizationGap(m, probes: probes, count: 4, delta: delta, outputsT: outputsT)
        }
        // f(θ+Δ) − f(θ) − JΔ = O(|Δ|²) while f(θ+Δ) − f(θ) = O(|Δ|): the gap halves with the step.
        let (a, b) = (gap(0.1), gap(0.05))
        XCTAssertGreaterThan(a, 1e-3)
        XCTAssertEqual(b / a, 0.5, accuracy: 0.1)
    }
}
