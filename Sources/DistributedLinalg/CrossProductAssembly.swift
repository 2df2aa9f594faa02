import COpenBLAS
import Parallel

extension DistributedSymmetricMatrix {
    /// Adds `scale · Σ_ranks AᵣᵀAᵣ` to the matrix, where Aᵣ is this rank's `rows × order` row-major
    /// block (any number of rows, 0 included). Collective over the grid's communicator.
    ///
    /// Never forms the whole n × n product on a rank: for each group of block columns, every rank
    /// computes its partial Aᵣᵀ Aᵣ[:, group] (one gemm) and one reduce-scatter leaves each owner the
    /// sum of its blocks. A group is all Pc block columns of one round (one per grid column), fewer if
    /// the n × width panel would exceed `panelBytes`; the panel and its packed copy are the only
    /// temporaries (2 · n · width doubles).
    public mutating func addCrossProduct(of a: UnsafeBufferPointer<Double>, rows k: Int, scale: Double,
                                         panelBytes: Int = 64 << 20) throws {
        let n = order, nb = blockSize, pr = grid.rows, pc = grid.columns
        precondition(a.count == k * n, "addCrossProduct: \(a.count) elements for \(k) rows × \(n)")
        let comm = grid.communicator
        let totalBlocks = (n + nb - 1) / nb
        let blocksPerRound = max(1, min(pc, panelBytes / max(1, n * nb * 8)))
        let ld = leadingDimension
        var panel = [Double]()
        var packed = [Double]()
        var firstBlock = 0
        while firstBlock < totalBlocks {
            let lastBlock = min(totalBlocks, firstBlock + blocksPerRound)
            let c0 = firstBlock * nb, c1 = min(n, lastBlock * nb), width = c1 - c0
            // panel (column-major n × width) = Aᵀ A[:, c0..<c1]; A row-major is Aᵀ column-major (ld n).
            panel = [Double](repeating: 0, count: n * width)
            if k > 0 {
                panel.withUnsafeMutableBufferPointer { p in
                    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(width), Int32(k), scale,
                                a.baseAddress, Int32(n), a.baseAddress! + c0, Int32(n), 0, p.baseAddress, Int32(n))
                }
            }
            // Pack by destination rank (grid row-major): its rows in local order, its block columns of
            // this round in local (= increasing global) order, column-major.
            var counts = [Int](repeating: 0, count: comm.size)
            packed = [Double](repeating: 0, count: n * width)
            var at = 0
            for qr in 0 ..< pr {
                let rowsQ = rowAxis.localCount(of: qr)
                let globalRowsQ = (0 ..< rowsQ).map { rowAxis.globalIndex(of: $0, on: qr) }
                for qc in 0 ..< pc {
                    let start = at
                    for b in firstBlock ..< lastBlock where b % pc == qc {
                        for j in b * nb ..< min(n, (b + 1) * nb) {
                            let column = (j - c0) * n
                            for i in globalRowsQ { packed[at] = panel[column + i]; at += 1 }
                        }
                    }
                    counts[grid.rank(row: qr, column: qc)] = at - start
                }
            }
            let blocks = try BlockCounts(counts)
            var mine = [Double](repeating: 0, count: counts[comm.rank])
            try packed.withUnsafeBufferPointer { send in
                try mine.withUnsafeMutableBufferPointer { try comm.reduceScatter(send, into: $0, blocks: blocks, .sum) }
            }
            // Add into the local columns of this round's blocks owned here (consecutive local columns).
            var offset = 0
            for b in firstBlock ..< lastBlock where b % pc == grid.myColumn {
                for j in b * nb ..< min(n, (b + 1) * nb) {
                    let lj = columnAxis.localIndex(of: j)
                    for li in 0 ..< localRows { local[li + lj * ld] += mine[offset + li] }
                    offset += localRows
                }
            }
            firstBlock = lastBlock
        }
    }
}
