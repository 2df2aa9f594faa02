import XCTest
@testable import Linalg

final class LinalgTests: XCTestCase {
    /// Deterministic pseudo-random matrix (an LCG: the test needs variety, not quality).
    func random(_ r: Int, _ c: Int, seed: UInt64) -> Matrix {
        var s = seed
        return Matrix(rows: r, columns: c, elements: (0 ..< r * c).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Double(s >> 11) * 0x1.0p-53 - 0.5
        })
    }

    func naive(_ a: Matrix, _ b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        for i in 0 ..< a.rows { for j in 0 ..< b.columns { for k in 0 ..< a.columns { c[i, j] += a[i, k] * b[k, j] } } }
        return c
    }

    func assertClose(_ a: Matrix, _ b: Matrix, _ tol: Double, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rows, b.rows, file: file, line: line)
        XCTAssertEqual(a.columns, b.columns, file: file, line: line)
        let worst = zip(a.elements, b.elements).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, tol, file: file, line: line)
    }

    func testGemmAgainstNaiveWithTransposesAlphaBeta() {
        let a = random(7, 5, seed: 1), b = random(5, 3, seed: 2), c0 = random(7, 3, seed: 3)
        assertClose(a * b, naive(a, b), 1e-14)
        var c = c0
        BLAS.gemm(2.5, a.transposed, .transposed, b.transposed, .transposed, -0.5, &c)
        var expected = naive(a, b)
        for i in 0 ..< expected.elements.count { expected.elements[i] = 2.5 * expected.elements[i] - 0.5 * c0.elements[i] }
        assertClose(c, expected, 1e-14)
    }

    func testSyrkAgainstNaive() {
        let a = random(11, 4, seed: 4)
        var c = Matrix(rows: 4, columns: 4)
        a.elements.withUnsafeBufferPointer { BLAS.syrkTransposed(1, $0, rows: 11, columns: 4, 0, &c) }
        c.symmetrizeFromUpper()
        assertClose(c, naive(a.transposed, a), 1e-14)
        var g = Matrix(rows: 11, columns: 11)
        a.elements.withUnsafeBufferPointer { BLAS.syrk(1, $0, rows: 11, columns: 4, 0, &g) }
        g.symmetrizeFromUpper()
        assertClose(g, naive(a, a.transposed), 1e-14)
    }

    /// The tridiagonal Toeplitz matrix (2 on the diagonal, −1 beside it) has eigenvalues
    /// 2 − 2cos(kπ/(n+1)), k = 1…n.
    func testTridiagonalToeplitzEigenvaluesInClosedForm() throws {
        let n = 50
        var m = Matrix(rows: n, columns: n)
        for i in 0 ..< n { m[i, i] = 2; if i + 1 < n { m[i, i + 1] = -1; m[i + 1, i] = -1 } }
        let exact = (1 ... n).map { 2 - 2 * cos(Double($0) * .pi / Double(n + 1)) }
        for solver in EigenSolver.allCases {
            let e = try SymmetricEigen(m, solver: solver)
            for (x, y) in zip(e.values, exact) { XCTAssertEqual(x, y, accuracy: 1e-12, "\(solver)") }
        }
    }

    func testEigenvectorsResidualAndOrthonormality() throws {
        let r = random(30, 30, seed: 5)
        let s = Matrix(rows: 30, columns: 30, elements: zip(r.elements, r.transposed.elements).map { $0 + $1 })
        var previous: [Double]? = nil
        for solver in EigenSolver.allCases {
            let e = try SymmetricEigen(s, vectors: true, solver: solver)
            let v = e.vectors!
            assertClose(v.transposed * v, .identity(30), 1e-12)
            let av = s * v
            for k in 0 ..< 30 { for i in 0 ..< 30 { XCTAssertEqual(av[i, k], e.values[k] * v[i, k], accuracy: 1e-11) } }
            XCTAssertEqual(e.values, e.values.sorted())
            if let previous { for (x, y) in zip(previous, e.values) { XCTAssertEqual(x, y, accuracy: 1e-12) } }
            previous = e.values
        }
    }
}
