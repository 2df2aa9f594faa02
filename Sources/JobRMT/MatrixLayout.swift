import DistributedLinalg
import JobKit

/// Where the d × d (or n × n) matrix lives while it is diagonalised.
enum MatrixLayout: String, ParameterChoice {
    /// Replicated when it fits comfortably on one rank, distributed otherwise (see ``resolved(order:vectors:writeMatrix:ranks:available:)``).
    case auto
    /// The whole matrix reduced to rank 0 and diagonalised there by LAPACK (dsyevd/dsyevr).
    case replicated
    /// 2-D block-cyclic over a process grid of all ranks, diagonalised by ScaLAPACK (pdsyevd/pdsyevr).
    case distributed

    /// The fraction of a rank's memory the replicated matrix may take under `auto`.
    static let comfortableFraction = 0.5

    /// Bytes the replicated path needs on rank 0: the matrix, the solver's copy and, with vectors, the vectors.
    static func replicatedBytes(order: Double, vectors: Bool) -> Double { (vectors ? 3 : 2) * order * order * 8 }

    /// Bytes the distributed path needs per rank: its 1/P share of the matrix and, with vectors, of the
    /// vectors, ScaLAPACK's workspace (about two more shares for pdsyevd) and the row-major copy of
    /// the share that the parallel write takes, a kept copy when the matrix is written, and the
    /// assembly panels (2 · order · nb · Pc doubles, at most 128 MiB).
    static func distributedBytes(order: Double, vectors: Bool, writeMatrix: Bool, ranks: Int, blockSize: Int) -> Double {
        let share = order * order * 8 / Double(max(ranks, 1))
        let columns = Double(ProcessGrid.shape(ranks: max(ranks, 1)).columns)
        let panels = min(2 * order * Double(blockSize) * columns * 8, 128 * 1048576)
        return share * ((vectors ? 5 : 2) + (writeMatrix ? 1 : 0)) + panels
    }

    /// The layout that runs (never `auto`) and why, for the log. `available` is a rank's memory.
    /// `needsWholeMatrix` (the D4 sectors project rank 0's whole matrix) makes `auto` replicated.
    func resolved(order: Int, vectors: Bool, writeMatrix: Bool, ranks: Int, blockSize: Int, needsWholeMatrix: Bool = false,
                  available: Double) -> (MatrixLayout, String) {
        let replicated = MatrixLayout.replicatedBytes(order: Double(order), vectors: vectors)
        let distributed = MatrixLayout.distributedBytes(order: Double(order), vectors: vectors, writeMatrix: writeMatrix, ranks: ranks, blockSize: blockSize)
        let sizes = "replicated needs \(formatBytes(replicated)) on rank 0, distributed \(formatBytes(distributed)) per rank, a rank has \(formatBytes(available))"
        switch self {
        case .replicated: return (.replicated, "matrix.layout = replicated (\(sizes))")
        case .distributed: return (.distributed, "matrix.layout = distributed (\(sizes))")
        case .auto:
            if ranks == 1 { return (.replicated, "auto on 1 rank: LAPACK (\(sizes))") }
            if needsWholeMatrix { return (.replicated, "auto: statistics.sectors needs the whole matrix on rank 0 (\(sizes))") }
            if replicated <= MatrixLayout.comfortableFraction * available {
                return (.replicated, "auto: the replicated matrix fits in half a rank's memory (\(sizes))")
            }
            return (.distributed, "auto: the replicated matrix would take more than half a rank's memory (\(sizes))")
        }
    }

    /// The matrix memory per rank the plan assumes before the data's shape is known: the layout's, and
    /// for `auto` the smaller of the two (auto goes distributed exactly when replicated does not fit).
    func planBytes(order: Double, vectors: Bool, writeMatrix: Bool, ranks: Int, blockSize: Int) -> Double {
        let replicated = MatrixLayout.replicatedBytes(order: order, vectors: vectors)
        let distributed = MatrixLayout.distributedBytes(order: order, vectors: vectors, writeMatrix: writeMatrix, ranks: ranks, blockSize: blockSize)
        switch self {
        case .replicated: return replicated
        case .distributed: return distributed
        case .auto: return ranks == 1 ? replicated : min(replicated, distributed)
        }
    }
}
