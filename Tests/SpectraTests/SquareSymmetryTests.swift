import Covariance
import Linalg
import XCTest

/// The D4 projectors on the periodic N × N grid (issue 14): orthogonal projectors whose dimensions add up, and the
/// projected matrix P M P of an invariant matrix carrying its spectrum.
final class SquareSymmetryTests: XCTestCase {
    /// The projector of `irrep` as an explicit N² × N² matrix (P applied to the unit vectors).
    func projector(_ s: SquareSymmetry, _ irrep: D4Irrep) -> Matrix {
        let d = s.side * s.side
        var p = Matrix(rows: d, columns: d)
        for q in 0 ..< d {
            var e = [Double](repeating: 0, count: d)
            e[q] = 1
            let column = s.project(e[...], irrep)
            for a in 0 ..< d { p[a, q] = column[a] }
        }
        return p
    }

    func testProjectorsAreOrthogonalAndComplete() {
        for n in [4, 5, 6] {
            let s = SquareSymmetry(side: n), d = n * n
            var total = 0
            var sum = Matrix(rows: d, columns: d)
            for irrep in D4Irrep.allCases {
                let p = projector(s, irrep)
                var p2 = Matrix(rows: d, columns: d)
                BLAS.gemm(1, p, .none, p, .none, 0, &p2)
                for k in 0 ..< d * d {
                    XCTAssertEqual(p2.elements[k], p.elements[k], accuracy: 1e-14, "P² = P for \(irrep) at N = \(n)")
                    XCTAssertEqual(p.elements[k], p.elements[(k % d) * d + k / d], accuracy: 1e-15, "P = Pᵀ for \(irrep)")
                }
                let trace = (0 ..< d).reduce(0.0) { $0 + p[$1, $1] }
                XCTAssertEqual(trace, Double(s.dimension(irrep)), accuracy: 1e-12)
                total += s.dimension(irrep) * SquareSymmetry.multiplicity(irrep)
                // P_E¹¹ is one of E's two partner projectors: counted twice, the traces add up to d (the spectra below
                // check the completeness on an invariant matrix).
                for k in 0 ..< d * d { sum.elements[k] += p.elements[k] * Double(SquareSymmetry.multiplicity(irrep)) }
            }
            XCTAssertEqual(total, d, "dimensions add up at N = \(n) (E counted twice)")
            let traceSum = (0 ..< d).reduce(0.0) { $0 + sum[$1, $1] }
            XCTAssertEqual(traceSum, Double(d), accuracy: 1e-12)
        }
    }

    func testSectorSpectraOfAnInvariantMatrixMakeTheFullSpectrum() throws {
        // M = Σ_g g AAᵀ gᵀ of a random A is D4-invariant and positive semi-definite; its sector spectra (E twice) are its spectrum.
        let n = 6, d = 36
        let s = SquareSymmetry(side: n)
        var a = Matrix(rows: d, columns: d)
        var state: UInt64 = 12345
        for i in 0 ..< d {
            for j in i ..< d {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let v = Double(state >> 11) / Double(1 << 53) - 0.5
                a[i, j] = v; a[j, i] = v
            }
        }
        var m = Matrix(rows: d, columns: d)
        var psd = Matrix(rows: d, columns: d)
        BLAS.gemm(1, a, .none, a, .transposed, 0, &psd)
        let maps: [(Int, Int) -> (Int, Int)] = [
            { ($0, $1) }, { ($1, -$0) }, { (-$0, -$1) }, { (-$1, $0) }, { ($0, -$1) }, { (-$0, $1) }, { ($1, $0) }, { (-$1, -$0) },
        ]
        for g in maps {
            let image = (0 ..< d).map { p -> Int in let (i, j) = g(p / n, p % n); return ((i % n + n) % n) * n + ((j % n + n) % n) }
            for x in 0 ..< d { for y in 0 ..< d { m[image[x], image[y]] += psd[x, y] } }
        }
        let full = try SymmetricEigen(m).values
        var union: [Double] = []
        for irrep in D4Irrep.allCases {
            let values = try SymmetricEigen(s.project(m, irrep)).values
            // M is positive semi-definite: the sector's levels are the `dimension` largest of P M P (as the job takes them).
            let levels = Array(values.suffix(s.dimension(irrep)))
            for _ in 0 ..< SquareSymmetry.multiplicity(irrep) { union += levels }
        }
        union.sort()
        XCTAssertEqual(union.count, full.count)
        let scale = full.map(abs).max()!
        for (x, y) in zip(union, full) { XCTAssertEqual(x, y, accuracy: 1e-11 * scale) }
    }
}
