import CScaLAPACK
import Parallel

/// A BLACS process grid of `rows × columns` ranks over one communicator, in row-major order
/// (rank = row · columns + column), as ScaLAPACK's distributed matrices need.
///
/// The BLACS context comes from the communicator itself (`Csys2blacs_handle`), so a grid works on
/// any communicator, not only the world. The grid is released when the last reference goes away.
public final class ProcessGrid: @unchecked Sendable {
    /// Process rows Pr.
    public let rows: Int
    /// Process columns Pc.
    public let columns: Int
    /// This rank's grid row.
    public let myRow: Int
    /// This rank's grid column.
    public let myColumn: Int
    /// The communicator the grid spans (ranks in grid order).
    public let communicator: Communicator
    /// The BLACS context ScaLAPACK routines take.
    let context: Int32
    private let systemHandle: Int32

    /// The grid shape for `ranks` ranks: Pr × Pc = ranks with Pr ≤ Pc as close to square as the
    /// divisors allow (1 → 1×1, 2 → 1×2, 3 → 1×3, 4 → 2×2, 6 → 2×3, 8 → 2×4, 16 → 4×4).
    public static func shape(ranks: Int) -> (rows: Int, columns: Int) {
        precondition(ranks >= 1, "a process grid needs at least one rank")
        var r = 1
        var k = 1
        while k * k <= ranks { if ranks % k == 0 { r = k }; k += 1 }
        return (r, ranks / r)
    }

    /// A grid over every rank of `communicator` (collective), of the given shape or ``shape(ranks:)``.
    public init(communicator comm: Communicator, shape: (rows: Int, columns: Int)? = nil) throws {
        let (pr, pc) = shape ?? ProcessGrid.shape(ranks: comm.size)
        guard pr >= 1, pc >= 1, pr * pc == comm.size else {
            throw DistributedLinalgError("a \(pr) × \(pc) process grid needs \(pr * pc) ranks, the communicator has \(comm.size)")
        }
        communicator = comm
        rows = pr
        columns = pc
        systemHandle = Csys2blacs_handle(comm.handle)
        var ctxt = systemHandle
        var order = Array("Row".utf8CString)
        Cblacs_gridinit(&ctxt, &order, Int32(pr), Int32(pc))
        context = ctxt
        var nr: Int32 = 0, nc: Int32 = 0, r: Int32 = -1, c: Int32 = -1
        Cblacs_gridinfo(ctxt, &nr, &nc, &r, &c)
        myRow = Int(r)
        myColumn = Int(c)
        // Row-major grid order is what the assembly's rank arithmetic relies on.
        guard Int(nr) == pr, Int(nc) == pc, myRow * pc + myColumn == comm.rank else {
            throw DistributedLinalgError("BLACS made a \(nr) × \(nc) grid with rank \(comm.rank) at (\(r), \(c)); expected \(pr) × \(pc) in row-major order")
        }
    }

    deinit {
        // BLACS frees MPI communicators: only while MPI is still up (a grid held until exit is left to MPI_Finalize).
        guard !MPIEnvironment.isFinalized else { return }
        Cblacs_gridexit(context)
        Cfree_blacs_system_handle(systemHandle)
    }

    /// The communicator rank at grid position (row, column).
    public func rank(row: Int, column: Int) -> Int { row * columns + column }
}

/// A failure of the distributed linear algebra (bad shapes, a ScaLAPACK error code), with what to do.
public struct DistributedLinalgError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
