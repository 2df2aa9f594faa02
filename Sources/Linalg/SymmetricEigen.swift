import COpenBLAS

/// LAPACK's symmetric eigensolvers.
public enum EigenSolver: String, Sendable, CaseIterable {
    /// `dsyevd`: divide and conquer.
    case divideAndConquer
    /// `dsyevr`: multiple relatively robust representations (MRRR).
    case relativelyRobust
}

/// A LAPACK failure, with the routine and what `info` means.
public struct LAPACKError: Error, CustomStringConvertible, Sendable {
    public let routine: String
    public let info: Int32
    public var description: String {
        info < 0 ? "\(routine): argument \(-info) had an illegal value"
                 : "\(routine): failed to converge (info = \(info))"
    }
}

/// Eigen-decomposition of a real symmetric matrix: ascending eigenvalues and, on request,
/// orthonormal eigenvectors as the COLUMNS of a row-major matrix (`vectors[i, k]` is
/// component i of eigenvector k).
public struct SymmetricEigen: Sendable {
    /// Eigenvalues in ascending order.
    public let values: [Double]
    /// Eigenvectors as columns, or nil when not computed.
    public let vectors: Matrix?

    /// Decomposes symmetric `matrix` (only its upper triangle, in row-major terms, is read).
    public init(_ matrix: Matrix, vectors wantVectors: Bool = false, solver: EigenSolver = .divideAndConquer) throws {
        precondition(matrix.rows == matrix.columns, "eigen-decomposition needs a square matrix")
        let n = matrix.rows
        guard n > 0 else { values = []; vectors = nil; return }
        // Row-major upper = column-major lower of the same buffer: pass uplo "L".
        var a = matrix.elements
        var w = [Double](repeating: 0, count: n)
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var jobz = CChar(UInt8(ascii: wantVectors ? "V" : "N")), uplo = CChar(UInt8(ascii: "L"))
        switch solver {
        case .divideAndConquer:
            var lwork: Int32 = -1, liwork: Int32 = -1, wq = 0.0, iwq: Int32 = 0
            dsyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &wq, &lwork, &iwq, &liwork, &info)
            guard info == 0 else { throw LAPACKError(routine: "dsyevd", info: info) }
            lwork = Int32(wq); liwork = iwq
            var work = [Double](repeating: 0, count: Int(lwork))
            var iwork = [Int32](repeating: 0, count: Int(liwork))
            dsyevd_(&jobz, &uplo, &nn, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info)
            guard info == 0 else { throw LAPACKError(routine: "dsyevd", info: info) }
            values = w
            // Column-major eigenvectors in `a` = row-major transpose: vector k is row k of `a`.
            vectors = wantVectors ? Matrix(rows: n, columns: n, elements: a).transposed : nil
        case .relativelyRobust:
            var range = CChar(UInt8(ascii: "A")), vl = 0.0, vu = 0.0, il: Int32 = 0, iu: Int32 = 0
            var abstol = 0.0, m: Int32 = 0
            var z = [Double](repeating: 0, count: wantVectors ? n * n : 1)
            var ldz = Int32(wantVectors ? n : 1)
            var isuppz = [Int32](repeating: 0, count: 2 * n)
            var lwork: Int32 = -1, liwork: Int32 = -1, wq = 0.0, iwq: Int32 = 0
            dsyevr_(&jobz, &range, &uplo, &nn, &a, &lda, &vl, &vu, &il, &iu, &abstol, &m, &w, &z, &ldz, &isuppz,
                    &wq, &lwork, &iwq, &liwork, &info)
            guard info == 0 else { throw LAPACKError(routine: "dsyevr", info: info) }
            lwork = Int32(wq); liwork = iwq
            var work = [Double](repeating: 0, count: Int(lwork))
            var iwork = [Int32](repeating: 0, count: Int(liwork))
            dsyevr_(&jobz, &range, &uplo, &nn, &a, &lda, &vl, &vu, &il, &iu, &abstol, &m, &w, &z, &ldz, &isuppz,
                    &work, &lwork, &iwork, &liwork, &info)
            guard info == 0 else { throw LAPACKError(routine: "dsyevr", info: info) }
            values = w
            vectors = wantVectors ? Matrix(rows: n, columns: n, elements: z).transposed : nil
        }
    }
}
