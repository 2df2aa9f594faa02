import COpenBLAS

/// Whether an operand enters a product as is or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Level-3 BLAS on row-major data (CblasRowMajor: OpenBLAS does the layout mapping, no copies).
public enum BLAS {
    /// C ← α·op(A)·op(B) + β·C, in place in `c`.
    public static func gemm(_ alpha: Double, _ a: Matrix, _ transA: Transpose, _ b: Matrix, _ transB: Transpose,
                            _ beta: Double, _ c: inout Matrix) {
        let (m, k) = transA == .none ? (a.rows, a.columns) : (a.columns, a.rows)
        let (kb, n) = transB == .none ? (b.rows, b.columns) : (b.columns, b.rows)
        precondition(k == kb && c.rows == m && c.columns == n,
                     "gemm: op(A) is \(m)×\(k), op(B) is \(kb)×\(n), C is \(c.rows)×\(c.columns)")
        guard m > 0 && n > 0 else { return }
        a.elements.withUnsafeBufferPointer { pa in
            b.elements.withUnsafeBufferPointer { pb in
                c.elements.withUnsafeMutableBufferPointer { pc in
                    cblas_dgemm(CblasRowMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k), alpha,
                                pa.baseAddress, blasint(max(a.columns, 1)), pb.baseAddress, blasint(max(b.columns, 1)),
                                beta, pc.baseAddress, blasint(max(n, 1)))
                }
            }
        }
    }

    /// C ← α·AᵀA + β·C for an n × d block A of data (samples in rows): the covariance kernel.
    /// Only the upper triangle of the d × d matrix C is computed (call `symmetrizeFromUpper`).
    public static func syrkTransposed(_ alpha: Double, _ a: UnsafeBufferPointer<Double>, rows n: Int, columns d: Int,
                                      _ beta: Double, _ c: inout Matrix) {
        precondition(c.rows == d && c.columns == d && a.count >= n * d, "syrk: C must be \(d)×\(d) and A hold \(n)×\(d)")
        guard d > 0 else { return }
        c.elements.withUnsafeMutableBufferPointer { pc in
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, blasint(d), blasint(n), alpha, a.baseAddress,
                        blasint(max(d, 1)), beta, pc.baseAddress, blasint(d))
        }
    }

    /// C ← α·AAᵀ + β·C for an n × d block A (the n × n Gram matrix); upper triangle only.
    public static func syrk(_ alpha: Double, _ a: UnsafeBufferPointer<Double>, rows n: Int, columns d: Int,
                            _ beta: Double, _ c: inout Matrix) {
        precondition(c.rows == n && c.columns == n && a.count >= n * d, "syrk: C must be \(n)×\(n) and A hold \(n)×\(d)")
        guard n > 0 else { return }
        c.elements.withUnsafeMutableBufferPointer { pc in
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(n), blasint(d), alpha, a.baseAddress,
                        blasint(max(d, 1)), beta, pc.baseAddress, blasint(n))
        }
    }

    /// OpenBLAS's build configuration (for logs and `cascade --version`).
    public static var configuration: String { String(cString: openblas_get_config()) }
}

extension Matrix {
    /// The matrix product A·B.
    public static func * (a: Matrix, b: Matrix) -> Matrix {
        var c = Matrix(rows: a.rows, columns: b.columns)
        BLAS.gemm(1, a, .none, b, .none, 0, &c)
        return c
    }
}
