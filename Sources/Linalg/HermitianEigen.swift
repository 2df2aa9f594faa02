import COpenBLAS

/// Eigenvalues of a complex Hermitian matrix (LAPACK `zheevd`, divide and conquer).
public enum HermitianEigen {
    /// Ascending eigenvalues of the n × n Hermitian matrix whose row-major elements are
    /// `real[i·n + j] + i·imaginary[i·n + j]`. Only the upper triangle (row-major terms) is read.
    public static func values(real: [Double], imaginary: [Double], n: Int) throws -> [Double] {
        precondition(real.count == n * n && imaginary.count == n * n, "HermitianEigen needs n² real and imaginary parts")
        guard n > 0 else { return [] }
        // Row-major upper triangle of A is the column-major lower triangle of Aᵀ = conj(A):
        // store the conjugate in column-major order and pass uplo "L"; conj(A) has the same eigenvalues.
        var a = [Double](repeating: 0, count: 2 * n * n)
        for k in 0 ..< n * n {
            a[2 * k] = real[k]
            a[2 * k + 1] = -imaginary[k]
        }
        var w = [Double](repeating: 0, count: n)
        var jobz = CChar(UInt8(ascii: "N")), uplo = CChar(UInt8(ascii: "L"))
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var lwork: Int32 = -1, lrwork: Int32 = -1, liwork: Int32 = -1
        var wq = [0.0, 0.0], rq = 0.0, iq: Int32 = 0
        zheevd_(&jobz, &uplo, &nn, &a, &lda, &w, &wq, &lwork, &rq, &lrwork, &iq, &liwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "zheevd", info: info) }
        lwork = Int32(wq[0]); lrwork = Int32(rq); liwork = iq
        var work = [Double](repeating: 0, count: 2 * Int(max(lwork, 1)))
        var rwork = [Double](repeating: 0, count: Int(max(lrwork, 1)))
        var iwork = [Int32](repeating: 0, count: Int(max(liwork, 1)))
        zheevd_(&jobz, &uplo, &nn, &a, &lda, &w, &work, &lwork, &rwork, &lrwork, &iwork, &liwork, &info)
        guard info == 0 else { throw LAPACKError(routine: "zheevd", info: info) }
        return w
    }
}
