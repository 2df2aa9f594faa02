import COpenBLAS
import CScaLAPACK
import Parallel

extension DistributedSymmetricMatrix {
    /// Adds `scale · Σ_ranks AᵣᵀAᵣ` to the matrix, where Aᵣ is this rank's `rows × order` row-major
    /// block (any number of rows, 0 included). Collective over the grid's communicator.
    ///
    /// Never forms the whole n × n product on a rank: for each group of block columns, every rank
    /// computes its partial Aᵣᵀ Aᵣ[:, group] (one gemm) and one reduce-scatter leaves each owner the
    /// sum of its blocks. Only the lower block triangle is formed (block rows from the group's first
    /// block row down: half the flops and half the bytes reduced); the blocks above the diagonal
    /// blocks are then stale until ``mirrorLowerTriangle()`` (the eigensolvers read the lower
    /// triangle only; ``gathered()`` and ``write(to:path:)`` mirror a copy themselves). A group is all
    /// Pc block columns of one round (one per grid column), fewer if the panel would exceed
    /// `panelBytes`; the panel and its packed copy are the only temporaries.
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
            // panel (column-major (n − c0) × width) = A[:, c0...]ᵀ A[:, c0..<c1]: rows from c0 down, the
            // lower block triangle of these columns. A row-major is Aᵀ column-major (ld n).
            let height = n - c0
            panel = [Double](repeating: 0, count: height * width)
            if k > 0 {
                panel.withUnsafeMutableBufferPointer { p in
                    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, Int32(height), Int32(width), Int32(k), scale,
                                a.baseAddress! + c0, Int32(n), a.baseAddress! + c0, Int32(n), 0, p.baseAddress, Int32(height))
                }
            }
            // Pack by destination rank (grid row-major): its rows from c0 down in local order, its block
            // columns of this round in local (= increasing global) order, column-major.
            var counts = [Int](repeating: 0, count: comm.size)
            packed = [Double](repeating: 0, count: height * width)
            var at = 0
            for qr in 0 ..< pr {
                let globalRowsQ = (0 ..< rowAxis.localCount(of: qr)).map { rowAxis.globalIndex(of: $0, on: qr) }.filter { $0 >= c0 }
                for qc in 0 ..< pc {
                    let start = at
                    for b in firstBlock ..< lastBlock where b % pc == qc {
                        for j in b * nb ..< min(n, (b + 1) * nb) {
                            let column = (j - c0) * height - c0
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
            // Add into the local columns of this round's blocks owned here, rows from c0 down (the local
            // rows of a process are in increasing global order, so those are its last ones).
            let firstRow = (0 ..< localRows).first { globalRow($0) >= c0 } ?? localRows
            let rowsHere = localRows - firstRow
            var offset = 0
            for b in firstBlock ..< lastBlock where b % pc == grid.myColumn {
                for j in b * nb ..< min(n, (b + 1) * nb) {
                    let lj = columnAxis.localIndex(of: j)
                    for li in 0 ..< rowsHere { local[firstRow + li + lj * ld] += mine[offset + li] }
                    offset += rowsHere
                }
            }
            firstBlock = lastBlock
        }
        upperIsStale = true
    }

    /// Copies the lower block triangle onto the blocks above the diagonal blocks (whose contents
    /// ``addCrossProduct(of:rows:scale:panelBytes:)`` leaves stale), so that both triangles hold the
    /// matrix. Collective (PBLAS pdtran into a temporary of the same layout: one more share while it runs).
    public mutating func mirrorLowerTriangle() throws {
        var transposed = try DistributedSymmetricMatrix(order: order, blockSize: blockSize, grid: grid)
        var desc = try descriptor()
        var n = Int32(order), one: Int32 = 1, alpha = 1.0, beta = 0.0
        pdtran_(&n, &n, &alpha, &local, &one, &one, &desc, &beta, &transposed.local, &one, &one, &desc)
        let ld = leadingDimension, nb = blockSize
        for lj in 0 ..< localColumns {
            let columnBlock = globalColumn(lj) / nb
            for li in 0 ..< localRows where globalRow(li) / nb < columnBlock {
                local[li + lj * ld] = transposed.local[li + lj * ld]
            }
        }
        upperIsStale = false
    }
}

