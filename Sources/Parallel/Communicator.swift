import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// An MPI communicator: a group of ranks that talk in collectives and messages.
///
/// Communicators made by ``split(color:key:)`` or ``duplicate()`` are freed when the
/// last reference goes away; the world communicator is borrowed and never freed.
public final class Communicator: @unchecked Sendable {
    /// The raw `MPI_Comm` handle, for the numerics layer's C libraries (FFTW-MPI, HDF5).
    package let handle: MPI_Comm
    /// This process's rank in the communicator, `0 ..< size`.
    public let rank: Int
    /// How many ranks the communicator has.
    public let size: Int
    private let owned: Bool

    init(borrowing handle: MPI_Comm) {
        self.handle = handle
        self.owned = false
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(handle, &r)
        MPI_Comm_size(handle, &s)
        rank = Int(r)
        size = Int(s)
    }

    /// Takes ownership of a communicator made elsewhere in this module (`MPI_Comm_split_type`).
    convenience init(owningHandle handle: MPI_Comm) { self.init(owning: handle) }

    private init(owning handle: MPI_Comm) {
        self.handle = handle
        self.owned = true
        MPI_Comm_set_errhandler(handle, cmpi_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(handle, &r)
        MPI_Comm_size(handle, &s)
        rank = Int(r)
        size = Int(s)
    }

    deinit {
        if owned && !MPIEnvironment.isFinalized {
            var h: MPI_Comm? = handle
            MPI_Comm_free(&h)
        }
    }

    /// The world communicator (initialises MPI on first use).
    public static var world: Communicator { MPIEnvironment.shared.world }

    /// This process alone (`MPI_COMM_SELF`; initialises MPI on first use): for a file one rank reads
    /// by itself while the others do not take part (`cascade report`, `cascade inspect` on rank 0),
    /// where making a communicator with ``split(color:key:)`` would be a collective call and hang.
    public static var selfOnly: Communicator {
        _ = MPIEnvironment.shared
        MPI_Comm_set_errhandler(cmpi_comm_self(), cmpi_errors_return())
        return Communicator(borrowing: cmpi_comm_self())
    }

    /// Whether this is rank 0, the rank that prints and writes summaries.
    public var isRoot: Bool { rank == 0 }

    /// Splits into sub-communicators: ranks with the same `color` end up together,
    /// ordered by `key` (ties broken by the old rank). Collective.
    public func split(color: Int, key: Int? = nil) throws -> Communicator {
        var out: MPI_Comm? = nil
        try mpiCheck(MPI_Comm_split(handle, Int32(color), Int32(key ?? rank), &out), "MPI_Comm_split")
        return Communicator(owning: out!)
    }

    /// A new communicator with the same ranks and its own message space. Collective.
    public func duplicate() throws -> Communicator {
        var out: MPI_Comm? = nil
        try mpiCheck(MPI_Comm_dup(handle, &out), "MPI_Comm_dup")
        return Communicator(owning: out!)
    }

    /// Blocks until every rank has called it.
    public func barrier() throws {
        try mpiCheck(MPI_Barrier(handle), "MPI_Barrier")
    }
}

extension Communicator {
    /// Waits for every rank to arrive, for at most `timeout` seconds (`MPI_Ibarrier` polled).
    ///
    /// Returns false if some rank did not arrive in time: then that rank is stuck elsewhere
    /// (typically in a collective this rank will never join) and the caller should abort
    /// the job rather than hang. The pending barrier is abandoned in that case.
    public func barrier(timeout: Double) throws -> Bool {
        var request: MPI_Request? = cmpi_request_null()
        try mpiCheck(MPI_Ibarrier(handle, &request), "MPI_Ibarrier")
        let deadline = MPI_Wtime() + timeout
        var flag: Int32 = 0
        while true {
            try mpiCheck(MPI_Test(&request, &flag, cmpi_status_ignore()), "MPI_Test")
            if flag != 0 { return true }
            if MPI_Wtime() > deadline { return false }
            usleep(2000)
        }
    }
}
