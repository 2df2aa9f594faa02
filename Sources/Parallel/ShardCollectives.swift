import CMPI

/// Per-rank element counts and offsets of a buffer split into consecutive rank blocks, as the
/// vector collectives (`MPI_Reduce_scatter`, `MPI_Allgatherv`) take them.
///
/// A class holding its own `int` arrays because a NONBLOCKING vector collective reads the arrays
/// until it completes: they must outlive the call, which a Swift array passed as a pointer does not
/// guarantee. Made once per buffer layout (a trainer makes one per gradient bucket).
public final class BlockCounts: @unchecked Sendable {
    /// Elements of each rank's block.
    public let counts: [Int]
    /// Offset of each rank's block (the exclusive prefix sums of `counts`).
    public let offsets: [Int]
    /// Sum of `counts`: the length of the whole buffer.
    public let total: Int
    let countPointer: UnsafeMutablePointer<Int32>
    let offsetPointer: UnsafeMutablePointer<Int32>

    /// Blocks of `counts` elements, one per rank of the communicator it is used with, in rank order.
    /// - Throws: `MPIError` if a count or the total exceeds MPI's `int`.
    public init(_ counts: [Int]) throws {
        precondition(counts.allSatisfy { $0 >= 0 }, "BlockCounts: negative count in \(counts)")
        self.counts = counts
        var offsets: [Int] = [], sum = 0
        for c in counts { offsets.append(sum); sum += c }
        self.offsets = offsets
        total = sum
        _ = try mpiCount(sum, "BlockCounts")
        countPointer = .allocate(capacity: max(counts.count, 1))
        offsetPointer = .allocate(capacity: max(counts.count, 1))
        for k in counts.indices {
            countPointer[k] = Int32(counts[k])
            offsetPointer[k] = Int32(offsets[k])
        }
    }

    deinit {
        countPointer.deallocate()
        offsetPointer.deallocate()
    }
}

// Reduce-scatter and allgather of one buffer split in rank blocks: together they move the bytes
// of one allreduce, with the reduced block of each rank available in between (a sharded
// optimiser step updates only its own block there).
extension Communicator {
    private func checkBlocks(_ blocks: BlockCounts, _ count: Int, _ name: String) {
        precondition(blocks.counts.count == size, "\(name): \(blocks.counts.count) blocks for \(size) ranks")
        precondition(blocks.total == count, "\(name): blocks of \(blocks.total) elements for a buffer of \(count)")
    }

    /// Sums (or otherwise reduces) `send` element-wise over the ranks and leaves block `rank` of the
    /// result in `block` (`MPI_Reduce_scatter`). Every rank passes the same `blocks`; `send` is
    /// `blocks.total` long, `block` `blocks.counts[rank]` long (may be empty).
    public func reduceScatter<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into block: UnsafeMutableBufferPointer<T>,
                                            blocks: BlockCounts, _ op: ReductionOp) throws {
        checkBlocks(blocks, send.count, "reduceScatter")
        precondition(block.count == blocks.counts[rank], "reduceScatter: block of \(block.count) elements, rank \(rank) owns \(blocks.counts[rank])")
        try mpiCheck(MPI_Reduce_scatter(send.baseAddress, block.baseAddress, blocks.countPointer, T.mpiDatatype, op.handle, handle),
                     "MPI_Reduce_scatter")
    }

    /// Starts `reduceScatter(_:into:blocks:_:)` (`MPI_Ireduce_scatter`) into a finished `request`.
    /// Neither buffer may be touched, nor `blocks` released, before the request has finished.
    public func startReduceScatter<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into block: UnsafeMutableBufferPointer<T>,
                                                 blocks: BlockCounts, _ op: ReductionOp, reusing request: AllreduceRequest) throws {
        checkBlocks(blocks, send.count, "startReduceScatter")
        precondition(block.count == blocks.counts[rank], "startReduceScatter: block of \(block.count) elements, rank \(rank) owns \(blocks.counts[rank])")
        try request.start { r in
            try mpiCheck(MPI_Ireduce_scatter(send.baseAddress, block.baseAddress, blocks.countPointer, T.mpiDatatype,
                                             op.handle, handle, &r), "MPI_Ireduce_scatter")
        }
    }

    /// `reduceScatter` in place (`MPI_IN_PLACE`): `buffer` (`blocks.total` long) is the input, and
    /// block `rank` of the reduction is left at its START, `buffer[0 ..< blocks.counts[rank]]` (MPI's
    /// rule, not at the block's offset); the rest of `buffer` is undefined afterwards. No receive
    /// buffer: a sharded optimiser step reads its slice of the summed gradient from there.
    public func reduceScatter<T: MPIScalar>(inPlace buffer: UnsafeMutableBufferPointer<T>, blocks: BlockCounts,
                                            _ op: ReductionOp) throws {
        checkBlocks(blocks, buffer.count, "reduceScatter(inPlace:)")
        try mpiCheck(MPI_Reduce_scatter(cmpi_in_place(), buffer.baseAddress, blocks.countPointer, T.mpiDatatype, op.handle, handle),
                     "MPI_Reduce_scatter")
    }

    /// Starts `reduceScatter(inPlace:blocks:_:)` (`MPI_Ireduce_scatter`) into a finished `request`.
    public func startReduceScatter<T: MPIScalar>(inPlace buffer: UnsafeMutableBufferPointer<T>, blocks: BlockCounts,
                                                 _ op: ReductionOp, reusing request: AllreduceRequest) throws {
        checkBlocks(blocks, buffer.count, "startReduceScatter(inPlace:)")
        try request.start { r in
            try mpiCheck(MPI_Ireduce_scatter(cmpi_in_place(), buffer.baseAddress, blocks.countPointer, T.mpiDatatype,
                                             op.handle, handle, &r), "MPI_Ireduce_scatter")
        }
    }

    /// Gives every rank every block of `buffer` in place (`MPI_Allgatherv` with `MPI_IN_PLACE`): rank
    /// k's block `buffer[blocks.offsets[k] ..< + blocks.counts[k]]` is sent from rank k to all.
    public func allgather<T: MPIScalar>(inPlace buffer: UnsafeMutableBufferPointer<T>, blocks: BlockCounts) throws {
        checkBlocks(blocks, buffer.count, "allgather")
        try mpiCheck(MPI_Allgatherv(cmpi_in_place(), 0, T.mpiDatatype, buffer.baseAddress, blocks.countPointer,
                                    blocks.offsetPointer, T.mpiDatatype, handle), "MPI_Allgatherv")
    }

    /// Starts `allgather(inPlace:blocks:)` (`MPI_Iallgatherv`) into a finished `request`.
    public func startAllgather<T: MPIScalar>(inPlace buffer: UnsafeMutableBufferPointer<T>, blocks: BlockCounts,
                                             reusing request: AllreduceRequest) throws {
        checkBlocks(blocks, buffer.count, "startAllgather")
        try request.start { r in
            try mpiCheck(MPI_Iallgatherv(cmpi_in_place(), 0, T.mpiDatatype, buffer.baseAddress, blocks.countPointer,
                                         blocks.offsetPointer, T.mpiDatatype, handle, &r), "MPI_Iallgatherv")
        }
    }
}
