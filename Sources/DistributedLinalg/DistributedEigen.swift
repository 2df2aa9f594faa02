import CScaLAPACK

/// ScaLAPACK's symmetric eigensolvers.
public enum DistributedEigenSolver: String, Sendable, CaseIterable {
    /// `pdsyevd`: divide and conquer. It always computes vectors; without them ``relativelyRobust`` runs.
    case divideAndConquer
    /// `pdsyevr`: multiple relatively robust representations (MRRR), values alone or with vectors.
    case relativelyRobust
}

/// Eigenvalues (ascending, on every rank) and, on request, the eigenvectors as the columns of a
/// distributed matrix (column k is eigenvector k, block-cyclic like the input).
public struct DistributedEigen: Sendable {
    public let values: [Double]
    public let vectors: DistributedSymmetricMatrix?
    /// The solver that ran ("pdsyevd" or "pdsyevr").
    public let routine: String
}

extension DistributedSymmetricMatrix {
    /// The eigen-decomposition, through `pdsyevd` (vectors, divide and conquer) or `pdsyevr`
    /// (values only, or vectors by MRRR), with ScaLAPACK's workspace query. Collective over the grid.
    ///
    /// Overwrites this matrix (ScaLAPACK destroys its input); copy it first to keep it. The vectors
    /// need a second matrix of the same layout, and the solver's workspace about one more.
    public mutating func diagonalize(vectors wantVectors: Bool, solver: DistributedEigenSolver = .divideAndConquer) throws -> DistributedEigen {
        var descA = try descriptor()
        var n = Int32(order), one: Int32 = 1, info: Int32 = 0
        var w = [Double](repeating: 0, count: order)
        var jobz = CChar(UInt8(ascii: wantVectors ? "V" : "N"))
        // Both triangles are stored; the lower one is read.
        var uplo = CChar(UInt8(ascii: "L"))
        var z = wantVectors ? try DistributedSymmetricMatrix(order: order, blockSize: blockSize, grid: grid) : nil
        var descZ = descA
        var zDummy = [Double](repeating: 0, count: 1)
        let useD = wantVectors && solver == .divideAndConquer
        let routine = useD ? "pdsyevd" : "pdsyevr"
        func run(_ lwork: inout Int32, _ work: inout [Double], _ liwork: inout Int32, _ iwork: inout [Int32]) {
            if z != nil {
                z!.local.withUnsafeMutableBufferPointer { zp in
                    call(zp.baseAddress!, &lwork, &work, &liwork, &iwork)
                }
            } else {
                zDummy.withUnsafeMutableBufferPointer { zp in call(zp.baseAddress!, &lwork, &work, &liwork, &iwork) }
            }
        }
        func call(_ zp: UnsafeMutablePointer<Double>, _ lwork: inout Int32, _ work: inout [Double], _ liwork: inout Int32, _ iwork: inout [Int32]) {
            if useD {
                pdsyevd_(&jobz, &uplo, &n, &local, &one, &one, &descA, &w, zp, &one, &one, &descZ,
                         &work, &lwork, &iwork, &liwork, &info)
            } else {
                var range = CChar(UInt8(ascii: "A")), vl = 0.0, vu = 0.0, il: Int32 = 0, iu: Int32 = 0, m: Int32 = 0, nz: Int32 = 0
                pdsyevr_(&jobz, &range, &uplo, &n, &local, &one, &one, &descA, &vl, &vu, &il, &iu, &m, &nz, &w,
                         zp, &one, &one, &descZ, &work, &lwork, &iwork, &liwork, &info)
            }
        }
        // Workspace query (lwork = liwork = -1), then the solve.
        var lwork: Int32 = -1, liwork: Int32 = -1
        var work = [Double](repeating: 0, count: 1), iwork = [Int32](repeating: 0, count: 1)
        run(&lwork, &work, &liwork, &iwork)
        guard info == 0 else { throw DistributedLinalgError("\(routine) workspace query: info = \(info)") }
        // A little slack: reference ScaLAPACK's queries have been short by O(n) in some versions.
        let lworkNeeded = Int(work[0].rounded(.up)) + 2 * order + 64
        let liworkNeeded = Int(iwork[0]) + 2 * order + 64
        guard lworkNeeded < Int(Int32.max), liworkNeeded < Int(Int32.max) else {
            throw DistributedLinalgError("\(routine) wants \(lworkNeeded) workspace elements, beyond 32-bit indices: use more ranks")
        }
        lwork = Int32(lworkNeeded); liwork = Int32(liworkNeeded)
        work = [Double](repeating: 0, count: lworkNeeded)
        iwork = [Int32](repeating: 0, count: liworkNeeded)
        run(&lwork, &work, &liwork, &iwork)
        guard info == 0 else {
            throw DistributedLinalgError(info < 0 ? "\(routine): argument \(-info) had an illegal value"
                                                  : "\(routine) failed (info = \(info)): eigenvalues did not converge")
        }
        return DistributedEigen(values: w, vectors: z, routine: routine)
    }
}
