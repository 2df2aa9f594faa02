import XCTest
@testable import Linalg

final class QRTests: XCTestCase {
    /// Q has orthonormal columns and R = QᵀA is upper triangular with a non-negative diagonal
    /// (the sign convention that makes Q of a Gaussian matrix Haar-distributed), square and tall.
    func testOrthonormalFactorReconstructsUpperTriangularR() throws {
        for (m, n) in [(6, 6), (9, 4), (1, 1)] {
            var s: UInt64 = UInt64(m * 31 + n)
            let a = Matrix(rows: m, columns: n, elements: (0 ..< m * n).map { _ in
                s = s &* 6364136223846793005 &+ 1442695040888963407
                return Double(s >> 11) * 0x1.0p-53 - 0.5
            })
            let q = try QR.orthonormalFactor(a)
            XCTAssertEqual(q.rows, m); XCTAssertEqual(q.columns, n)
            let qtq = q.transposed * q, r = q.transposed * a
            for i in 0 ..< n {
                for j in 0 ..< n {
                    XCTAssertEqual(qtq[i, j], i == j ? 1 : 0, accuracy: 1e-13, "QᵀQ[\(i),\(j)] for \(m)×\(n)")
                    if i > j { XCTAssertEqual(r[i, j], 0, accuracy: 1e-13, "R below the diagonal for \(m)×\(n)") }
                }
                XCTAssertGreaterThan(r[i, i], 0, "R's diagonal for \(m)×\(n)")
            }
            let back = q * r
            for k in 0 ..< a.elements.count { XCTAssertEqual(back.elements[k], a.elements[k], accuracy: 1e-13) }
        }
    }
}
