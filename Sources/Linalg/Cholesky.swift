import COpenBLAS

/// Cholesky factor of a symmetric positive definite matrix (LAPACK `dpotrf`).
public enum Cholesky {
    /// The lower-triangular L with A = L·Lᵀ, as a row-major matrix (zeros above the diagonal).
    /// Only the lower triangle of `matrix` (row-major terms) is read. Throws a ``LAPACKError``
    /// with `info > 0` when A is not positive definite.
    public static func lower(_ matrix: Matrix) throws -> Matrix {
        precondition(matrix.rows == matrix.columns, "Cholesky needs a square matrix")
        let n = matrix.rows
        guard n > 0 else { return matrix }
        // Row-major lower = column-major upper of the same buffer: factor with uplo "U" (A = UᵀU, U = Lᵀ).
        var a = matrix.elements
        var uplo = CChar(UInt8(ascii: "U")), nn = Int32(n), lda = Int32(n), info: Int32 = 0
        dpotrf_(&uplo, &nn, &a, &lda, &info)
        guard info == 0 else { throw LAPACKError(routine: "dpotrf", info: info) }
        var l = Matrix(rows: n, columns: n, elements: a)
        for i in 0 ..< n { for j in i + 1 ..< n { l[i, j] = 0 } }
        return l
    }
}
