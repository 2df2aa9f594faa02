import XCTest
@testable import Learning

/// Both backends against the float64 definition (ConvReference) and against float64 central
/// differences of it, for L = Σ r ⊙ y with random r: dL/dθ and dL/dx from `backward(r)`.
///
/// Tolerances: forward and gradients within 1e-5 of the largest reference component (float32
/// rounding of sums of at most 9·C terms; measured ≤ 3.2e-7). The float64 differences are exact up to
/// ~1e-10 (L is linear in each coordinate).
final class ConvGradientTests: XCTestCase {
    static let tolerance = 1e-5

    func check(_ c: ConvCase, _ backend: Conv2d.Backend, rows: Int) throws {
        let (conv, store) = try c.layer(backend, batch: rows)
        let x = normals(rows * c.inputElements, seed: 21), r = normals(rows * c.outputElements, seed: 22)
        let got = step(conv, store, x: x, dy: r, rows: rows)
        let ref = ConvReference(c)
        let xd = x.map(Double.init), p = store.values.map(Double.init), rd = r.map(Double.init)
        let loss = { (y: [Double]) in zip(y, rd).reduce(0) { $0 + $1.0 * $1.1 } }
        let what = "\(c) \(backend)"
        XCTAssertLessThanOrEqual(relativeError(got.y, ref.forward(xd, p, rows: rows)), Self.tolerance, "\(what): forward")
        let dp = centralDifferences(p) { loss(ref.forward(xd, $0, rows: rows)) }
        let dx = centralDifferences(xd) { loss(ref.forward($0, p, rows: rows)) }
        XCTAssertLessThanOrEqual(relativeError(got.gradients, dp), Self.tolerance, "\(what): parameters")
        XCTAssertLessThanOrEqual(relativeError(got.dx, dx), Self.tolerance, "\(what): input")
        // The adjoint loops agree with the differences (so the exact tests below check the right thing).
        let adj = ref.backward(xd, p, rd, rows: rows)
        XCTAssertLessThanOrEqual(zip(adj.dp, dp).map { abs($0 - $1) }.max()!, 1e-8, "\(what): reference adjoint")
        XCTAssertLessThanOrEqual(zip(adj.dx, dx).map { abs($0 - $1) }.max()!, 1e-8, "\(what): reference adjoint")
    }

    func testBackwardMatchesCentralDifferences() throws {
        var cases = ConvCase.all(inputs: 2, outputs: 3)
        cases += ConvCase.all(inputs: 2, outputs: 3, initialization: .ntk(beta: 0.5))
        cases.append(ConvCase(height: 4, width: 4, inputs: 2, outputs: 3, kernel: 3, stride: 1, padding: .periodic,
                              initialization: .glorot))
        for c in cases {
            for backend in [Conv2d.Backend.oneDNN, .im2col] { try check(c, backend, rows: 2) }
        }
    }

    /// Integer data and weights: every float32 sum is exact, so both backends must equal the
    /// definition bit for bit (forward, dx, dW, db), zero and periodic padding.
    func testIntegerDataMatchesTheDefinitionExactly() throws {
        for c in ConvCase.all(inputs: 16, outputs: 8) {
            for backend in [Conv2d.Backend.oneDNN, .im2col] {
                let rows = 2
                let (conv, store) = try c.layer(backend, batch: rows)
                let ints = smallIntegers(store.count, max: 2, seed: 1)
                store.values.withUnsafeMutableBufferPointer { v in for i in 0 ..< v.count { v[i] = ints[i] } }
                let x = smallIntegers(rows * c.inputElements, max: 3, seed: 2)
                let dy = smallIntegers(rows * c.outputElements, max: 3, seed: 3)
                let got = step(conv, store, x: x, dy: dy, rows: rows)
                let ref = ConvReference(c), xd = x.map(Double.init), p = ints.map(Double.init)
                let adj = ref.backward(xd, p, dy.map(Double.init), rows: rows)
                XCTAssertEqual(got.y.map(Double.init), ref.forward(xd, p, rows: rows), "\(c) \(backend): forward")
                XCTAssertEqual(got.dx.map(Double.init), adj.dx, "\(c) \(backend): dx")
                XCTAssertEqual(got.gradients.map(Double.init), adj.dp, "\(c) \(backend): dW, db")
            }
        }
    }
}
