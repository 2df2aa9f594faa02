import Storage

/// One axis of a 2-D block-cyclic layout: `length` global indices in blocks of `blockSize`, block b
/// on process (b mod processes) (source process 0, as ScaLAPACK's descriptors here always use).
///
/// Global index g is in block g / nb, on process (g / nb) mod P, at local index
/// (g / (nb·P))·nb + g mod nb; a process's local indices run over its blocks in increasing order.
public struct BlockCyclicAxis: Sendable, Equatable {
    /// Global extent.
    public let length: Int
    /// Block size nb.
    public let blockSize: Int
    /// Processes along this axis.
    public let processes: Int

    public init(length: Int, blockSize: Int, processes: Int) {
        precondition(length >= 0 && blockSize >= 1 && processes >= 1, "bad block-cyclic axis \(length)/\(blockSize)/\(processes)")
        self.length = length
        self.blockSize = blockSize
        self.processes = processes
    }

    /// Global indices held by `process` (ScaLAPACK's NUMROC).
    public func localCount(of process: Int) -> Int {
        let blocks = length / blockSize
        var count = (blocks / processes) * blockSize
        let extra = blocks % processes
        if process < extra { count += blockSize } else if process == extra { count += length % blockSize }
        return count
    }

    /// The process holding global index `g`.
    public func owner(of g: Int) -> Int { (g / blockSize) % processes }

    /// The local index of global index `g` on its owner.
    public func localIndex(of g: Int) -> Int { (g / (blockSize * processes)) * blockSize + g % blockSize }

    /// The global index of local index `l` on `process`.
    public func globalIndex(of l: Int, on process: Int) -> Int {
        ((l / blockSize) * processes + process) * blockSize + l % blockSize
    }

    /// The global indices of `process` as strided runs (whole blocks every P·nb indices, then the
    /// last, shorter block if the axis ends inside one of this process's blocks): the hyperslab
    /// pattern of a parallel write. Empty when the process holds nothing.
    public func runs(of process: Int) -> [HyperslabRun] {
        let fullBlocks = length / blockSize
        let ownedFull = fullBlocks > process ? (fullBlocks - process + processes - 1) / processes : 0
        var runs: [HyperslabRun] = []
        if ownedFull > 0 {
            runs.append(HyperslabRun(start: process * blockSize, stride: processes * blockSize, count: ownedFull, block: blockSize))
        }
        let tail = length % blockSize
        if tail > 0 && fullBlocks % processes == process {
            runs.append(HyperslabRun(start: fullBlocks * blockSize, stride: 1, count: 1, block: tail))
        }
        return runs
    }
}
