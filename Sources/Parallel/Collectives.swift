import CMPI

// Typed collectives. Every function here is collective over the communicator: all
// ranks must call it, in the same order, with matching arguments.
extension Communicator {
    // MARK: Allreduce

    /// Reduces `buffer` element-wise across ranks, leaving the result in `buffer` on every rank.
    public func allreduce<T: MPIScalar>(inPlace buffer: UnsafeMutableBufferPointer<T>, _ op: ReductionOp) throws {
        let n = try mpiCount(buffer.count, "MPI_Allreduce")
        try mpiCheck(MPI_Allreduce(cmpi_in_place(), buffer.baseAddress, n, T.mpiDatatype, op.handle, handle),
                     "MPI_Allreduce")
    }

    /// Reduces `values` element-wise across ranks, in place.
    public func allreduce<T: MPIScalar>(inPlace values: inout [T], _ op: ReductionOp) throws {
        try values.withUnsafeMutableBufferPointer { try allreduce(inPlace: $0, op) }
    }

    /// Returns the element-wise reduction of `values` across ranks (`values` is unchanged).
    public func allreduce<T: MPIScalar>(_ values: [T], _ op: ReductionOp) throws -> [T] {
        var out = [T](repeating: .zero, count: values.count)
        let n = try mpiCount(values.count, "MPI_Allreduce")
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try mpiCheck(MPI_Allreduce(src.baseAddress, dst.baseAddress, n, T.mpiDatatype, op.handle, handle),
                             "MPI_Allreduce")
            }
        }
        return out
    }

    /// Returns the reduction of one value across ranks.
    public func allreduce<T: MPIScalar>(_ value: T, _ op: ReductionOp) throws -> T {
        try allreduce([value], op)[0]
    }

    // MARK: Reduce

    /// Reduces `buffer` element-wise across ranks into `buffer` on `root`; on the other ranks `buffer` is
    /// only sent (left unchanged). Use it when one rank needs the result: no rank but `root` receives it.
    public func reduce<T: MPIScalar>(inPlace buffer: UnsafeMutableBufferPointer<T>, _ op: ReductionOp, root: Int = 0) throws {
        let n = try mpiCount(buffer.count, "MPI_Reduce")
        if rank == root {
            try mpiCheck(MPI_Reduce(cmpi_in_place(), buffer.baseAddress, n, T.mpiDatatype, op.handle, Int32(root), handle),
                         "MPI_Reduce")
        } else {
            // The receive buffer is significant only at the root.
            try mpiCheck(MPI_Reduce(buffer.baseAddress, nil, n, T.mpiDatatype, op.handle, Int32(root), handle), "MPI_Reduce")
        }
    }

    /// Reduces `values` element-wise across ranks onto `root` (in place there; unchanged elsewhere).
    public func reduce<T: MPIScalar>(inPlace values: inout [T], _ op: ReductionOp, root: Int = 0) throws {
        try values.withUnsafeMutableBufferPointer { try reduce(inPlace: $0, op, root: root) }
    }

    // MARK: Broadcast

    /// Copies `buffer` from `root` to every rank. All ranks pass buffers of the same length.
    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int = 0) throws {
        let n = try mpiCount(buffer.count, "MPI_Bcast")
        try mpiCheck(MPI_Bcast(buffer.baseAddress, n, T.mpiDatatype, Int32(root), handle), "MPI_Bcast")
    }

    /// Copies `values` from `root` to every rank, whatever length the other ranks had.
    public func broadcast<T: MPIScalar>(_ values: inout [T], root: Int = 0) throws {
        var count = [values.count]
        try count.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
        if rank != root { values = [T](repeating: .zero, count: count[0]) }
        try values.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
    }

    /// Returns `root`'s `value` on every rank.
    public func broadcast<T: MPIScalar>(_ value: T, root: Int = 0) throws -> T {
        var v = [value]
        try v.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
        return v[0]
    }

    /// Returns `root`'s string on every rank (UTF-8 bytes on the wire).
    public func broadcast(_ text: String, root: Int = 0) throws -> String {
        var bytes = Array(text.utf8)
        try broadcast(&bytes, root: root)
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Gather

    /// How many elements each rank contributes (an allgather of one count per rank).
    public func allgatherCounts(_ localCount: Int) throws -> [Int] {
        var counts = [Int](repeating: 0, count: size)
        var mine = localCount
        try mpiCheck(MPI_Allgather(&mine, 1, Int.mpiDatatype, &counts, 1, Int.mpiDatatype, handle), "MPI_Allgather")
        return counts
    }

    /// Concatenates every rank's `local` array in rank order, on every rank. Lengths may differ.
    public func allgather<T: MPIScalar>(_ local: [T]) throws -> [T] {
        let counts = try allgatherCounts(local.count)
        let total = counts.reduce(0, +)
        let c32 = try counts.map { try mpiCount($0, "MPI_Allgatherv") }
        let displs = try exclusiveOffsets(counts).map { try mpiCount($0, "MPI_Allgatherv") }
        var out = [T](repeating: .zero, count: total)
        try local.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try mpiCheck(MPI_Allgatherv(src.baseAddress, c32[rank], T.mpiDatatype,
                                            dst.baseAddress, c32, displs, T.mpiDatatype, handle), "MPI_Allgatherv")
            }
        }
        return out
    }

    /// Concatenates every rank's `local` array in rank order on `root`; other ranks get `nil`.
    public func gather<T: MPIScalar>(_ local: [T], root: Int = 0) throws -> [T]? {
        let counts = try allgatherCounts(local.count)
        let c32 = try counts.map { try mpiCount($0, "MPI_Gatherv") }
        let displs = try exclusiveOffsets(counts).map { try mpiCount($0, "MPI_Gatherv") }
        var out = [T](repeating: .zero, count: rank == root ? counts.reduce(0, +) : 0)
        try local.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try mpiCheck(MPI_Gatherv(src.baseAddress, c32[rank], T.mpiDatatype,
                                         dst.baseAddress, c32, displs, T.mpiDatatype, Int32(root), handle),
                             "MPI_Gatherv")
            }
        }
        return rank == root ? out : nil
    }

    /// Gathers one string per rank on every rank (for example host names), in rank order.
    public func allgather(_ text: String) throws -> [String] {
        let bytes = Array(text.utf8)
        let counts = try allgatherCounts(bytes.count)
        let all = try allgather(bytes)
        var result: [String] = []
        var start = 0
        for c in counts {
            result.append(String(decoding: all[start ..< start + c], as: UTF8.self))
            start += c
        }
        return result
    }

    // MARK: All-to-all

    /// Sends block `j` of `send` (each `blockCount` long) to rank `j`; returns the blocks
    /// received, block `i` from rank `i`.
    public func alltoall<T: MPIScalar>(_ send: [T], blockCount: Int) throws -> [T] {
        precondition(send.count == blockCount * size, "alltoall: send must hold size × blockCount elements")
        let n = try mpiCount(blockCount, "MPI_Alltoall")
        var out = [T](repeating: .zero, count: send.count)
        try send.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try mpiCheck(MPI_Alltoall(src.baseAddress, n, T.mpiDatatype, dst.baseAddress, n, T.mpiDatatype, handle),
                             "MPI_Alltoall")
            }
        }
        return out
    }

    /// Variable-size all-to-all: `sendCounts[j]` elements go to rank `j` (consecutive in
    /// `send`); the counts to receive are exchanged first. Returns the received elements
    /// in rank order.
    public func alltoallv<T: MPIScalar>(_ send: [T], sendCounts: [Int]) throws -> [T] {
        precondition(sendCounts.count == size && sendCounts.reduce(0, +) == send.count,
                     "alltoallv: sendCounts must have one entry per rank and sum to send.count")
        let recvCounts = try alltoall(sendCounts, blockCount: 1)
        let sc = try sendCounts.map { try mpiCount($0, "MPI_Alltoallv") }
        let rc = try recvCounts.map { try mpiCount($0, "MPI_Alltoallv") }
        let sd = try exclusiveOffsets(sendCounts).map { try mpiCount($0, "MPI_Alltoallv") }
        let rd = try exclusiveOffsets(recvCounts).map { try mpiCount($0, "MPI_Alltoallv") }
        var out = [T](repeating: .zero, count: recvCounts.reduce(0, +))
        try send.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try mpiCheck(MPI_Alltoallv(src.baseAddress, sc, sd, T.mpiDatatype,
                                           dst.baseAddress, rc, rd, T.mpiDatatype, handle), "MPI_Alltoallv")
            }
        }
        return out
    }

    // MARK: Point to point

    /// Sends `values` to rank `destination` (blocking until the buffer may be reused).
    public func send<T: MPIScalar>(_ values: [T], to destination: Int, tag: Int = 0) throws {
        let n = try mpiCount(values.count, "MPI_Send")
        try values.withUnsafeBufferPointer { src in
            try mpiCheck(MPI_Send(src.baseAddress, n, T.mpiDatatype, Int32(destination), Int32(tag), handle), "MPI_Send")
        }
    }

    /// Receives up to `maxCount` elements from rank `source`; returns exactly what was sent.
    public func receive<T: MPIScalar>(_ type: T.Type = T.self, maxCount: Int, from source: Int, tag: Int = 0) throws -> [T] {
        var out = [T](repeating: .zero, count: maxCount)
        var status = MPI_Status()
        let n = try mpiCount(maxCount, "MPI_Recv")
        try out.withUnsafeMutableBufferPointer { dst in
            try mpiCheck(MPI_Recv(dst.baseAddress, n, T.mpiDatatype, Int32(source), Int32(tag), handle, &status), "MPI_Recv")
        }
        var received: Int32 = 0
        MPI_Get_count(&status, T.mpiDatatype, &received)
        out.removeLast(maxCount - Int(received))
        return out
    }

    /// Sends to one rank and receives from another in one deadlock-free step (`MPI_Sendrecv`).
    public func sendReceive<T: MPIScalar>(_ values: [T], to destination: Int, receiveCount: Int,
                                          from source: Int, tag: Int = 0) throws -> [T] {
        var out = [T](repeating: .zero, count: receiveCount)
        let sn = try mpiCount(values.count, "MPI_Sendrecv"), rn = try mpiCount(receiveCount, "MPI_Sendrecv")
        try values.withUnsafeBufferPointer { src in
            try out.withUnsafeMutableBufferPointer { dst in
                try mpiCheck(MPI_Sendrecv(src.baseAddress, sn, T.mpiDatatype, Int32(destination), Int32(tag),
                                          dst.baseAddress, rn, T.mpiDatatype, Int32(source), Int32(tag),
                                          handle, cmpi_status_ignore()), "MPI_Sendrecv")
            }
        }
        return out
    }
}

/// Start offsets of consecutive blocks with the given counts.
func exclusiveOffsets(_ counts: [Int]) -> [Int] {
    var offsets = [Int](repeating: 0, count: counts.count)
    var running = 0
    for (i, c) in counts.enumerated() {
        offsets[i] = running
        running += c
    }
    return offsets
}
