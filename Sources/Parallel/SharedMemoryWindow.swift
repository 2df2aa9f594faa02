import CMPI

extension Communicator {
    /// The ranks of this communicator that share this process's memory node (`MPI_Comm_split_type`
    /// with `MPI_COMM_TYPE_SHARED`), ordered by their rank here. Collective.
    public func splitSharedMemory() throws -> Communicator {
        var out: MPI_Comm? = nil
        try mpiCheck(MPI_Comm_split_type(handle, cmpi_comm_type_shared(), Int32(rank), cmpi_info_null(), &out),
                     "MPI_Comm_split_type")
        return Communicator(owningHandle: out!)
    }
}

/// Memory that every rank of a node-local communicator can read and write directly: an MPI-3
/// shared-memory window (`MPI_Win_allocate_shared`). Each rank contributes one segment of its own
/// size; ``segment(of:)`` gives any rank's segment as a pointer in this process's address space.
///
/// The window is in passive-target epoch for its whole life (`MPI_Win_lock_all` at creation), so
/// ranks use the memory with plain loads and stores. Between a write on one rank and a read of the
/// same bytes on another, every rank calls ``synchronize()`` (memory barrier, then a barrier of the
/// communicator, then a memory barrier: the "unified model" pattern of MPI-3 §11.5.4.1).
///
/// ``free()`` is collective (`MPI_Win_free`): call it on every rank at the same point of the program.
/// A window that is not freed explicitly is freed by `deinit`, which is then collective too.
public final class SharedMemoryWindow: @unchecked Sendable {
    /// The ranks that share the memory (all on one node).
    public let communicator: Communicator
    /// Each rank's segment, indexed by rank in ``communicator``.
    public let segments: [UnsafeMutableRawBufferPointer]
    private var window: MPI_Win?

    /// Allocates a segment of `bytes` bytes on this rank (any size, 0 allowed; ranks may differ) and
    /// maps every rank's segment. Collective over `communicator`, whose ranks must share memory
    /// (made by ``Communicator/splitSharedMemory()`` or a split of it).
    /// - Throws: `MPIError` (out of shared memory, ranks on different nodes).
    public init(bytes: Int, communicator: Communicator) throws {
        precondition(bytes >= 0, "SharedMemoryWindow: negative size \(bytes)")
        self.communicator = communicator
        var base: UnsafeMutableRawPointer? = nil
        var win: MPI_Win? = cmpi_win_null()
        // Alignment: Open MPI's osc/sm aligns segments to pages unless alloc_shared_noncontig is
        // unset; 64-byte alignment is all the vector kernels need, checked below.
        try withUnsafeMutablePointer(to: &base) { b in
            try mpiCheck(MPI_Win_allocate_shared(MPI_Aint(bytes), 1, cmpi_info_null(), communicator.handle, b, &win),
                         "MPI_Win_allocate_shared")
        }
        window = win
        try mpiCheck(MPI_Win_lock_all(cmpi_mode_nocheck(), win), "MPI_Win_lock_all")
        var segments: [UnsafeMutableRawBufferPointer] = []
        for r in 0 ..< communicator.size {
            var size: MPI_Aint = 0, unit: Int32 = 0
            var pointer: UnsafeMutableRawPointer? = nil
            try withUnsafeMutablePointer(to: &pointer) { p in
                try mpiCheck(MPI_Win_shared_query(win, Int32(r), &size, &unit, p), "MPI_Win_shared_query")
            }
            segments.append(UnsafeMutableRawBufferPointer(start: size > 0 ? pointer : nil, count: Int(size)))
        }
        self.segments = segments
    }

    deinit { try? free() }

    /// This rank's segment.
    public var local: UnsafeMutableRawBufferPointer { segments[communicator.rank] }

    /// Rank `rank`'s segment, typed (`count` elements of `T` from its start; the segment must hold them).
    public func segment<T>(of rank: Int, as type: T.Type = T.self, count: Int) -> UnsafeMutablePointer<T> {
        let s = segments[rank]
        precondition(count * MemoryLayout<T>.stride <= s.count, "SharedMemoryWindow: segment of rank \(rank) holds \(s.count) bytes, not \(count) × \(T.self)")
        precondition(Int(bitPattern: s.baseAddress) % MemoryLayout<T>.alignment == 0, "SharedMemoryWindow: segment of rank \(rank) is misaligned")
        return s.baseAddress!.bindMemory(to: T.self, capacity: count)
    }

    /// Makes every rank's writes before this call visible to every rank's reads after it. Collective.
    public func synchronize() throws {
        guard let window else { preconditionFailure("SharedMemoryWindow: used after free()") }
        try mpiCheck(MPI_Win_sync(window), "MPI_Win_sync")
        try communicator.barrier()
        try mpiCheck(MPI_Win_sync(window), "MPI_Win_sync")
    }

    /// Ends the access epoch and frees the memory (every pointer into it dangles). Collective;
    /// a second call does nothing.
    public func free() throws {
        guard window != nil, !MPIEnvironment.isFinalized else { return }
        try mpiCheck(MPI_Win_unlock_all(window), "MPI_Win_unlock_all")
        try mpiCheck(MPI_Win_free(&window), "MPI_Win_free")
        window = nil
    }
}
