import COpenBLAS

/// QR factorisation of a real matrix (LAPACK `dgeqrf` + `dorgqr`).
public enum QR {
    /// The orthonormal factor Q of A = Q·R for a square or tall `matrix` (rows ≥ columns), as a
    /// row-major rows × columns matrix, with the sign convention that R's diagonal is non-negative.
    ///
    /// With that convention the factorisation is unique, so for A with independent standard normal
    /// entries Q is distributed uniformly (Haar) over the orthogonal matrices; LAPACK's own signs
    /// are not, which is why the columns are flipped where R_kk < 0.
    public static func orthonormalFactor(_ matrix: Matrix) throws -> Matrix {
        let (m, n) = (matrix.rows, matrix.columns)
        precondition(m >= n, "QR.orthonormalFactor needs rows ≥ columns, got \(m) × \(n)")
        guard n > 0 else { return Matrix(rows: m, columns: 0) }
        // LAPACK is column-major: the row-major transpose of A is A in column-major order.
        var a = matrix.transposed.elements
        var mm = Int32(m), nn = Int32(n), lda = Int32(m), info: Int32 = 0
        var tau = [Double](repeating: 0, count: n)
        var lwork: Int32 = -1, query = 0.0
        dgeqrf_(&mm, &nn, &a, &lda, &tau, &query, &lwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "dgeqrf", info: info) }
        lwork = max(Int32(query), nn)
        var work = [Double](repeating: 0, count: Int(lwork))
        dgeqrf_(&mm, &nn, &a, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "dgeqrf", info: info) }
        // R's diagonal lives on the diagonal of the factored buffer; dorgqr overwrites it.
        let negative = (0 ..< n).map { a[$0 * m + $0] < 0 }
        var k = nn
        lwork = -1
        dorgqr_(&mm, &nn, &k, &a, &lda, &tau, &query, &lwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "dorgqr", info: info) }
        lwork = max(Int32(query), nn)
        if Int(lwork) > work.count { work = [Double](repeating: 0, count: Int(lwork)) }
        dorgqr_(&mm, &nn, &k, &a, &lda, &tau, &work, &lwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "dorgqr", info: info) }
        var q = Matrix(rows: m, columns: n)
        for j in 0 ..< n {
            let sign: Double = negative[j] ? -1 : 1
            for i in 0 ..< m { q[i, j] = sign * a[j * m + i] }
        }
        return q
    }
}
