import CounterRNG
import Linalg
import Parallel

/// Random numbers keyed by global index and a sharded AᵀA: the same on every rank count.
let linalgChecks: [MPICheck] = [
    MPICheck("rng.rank-independent-normals") { comm, t in
        let rng = CounterRNG(seed: 2026, stream: 11)
        let count = 10007
        let mine = comm.blockRange(of: count)
        let local = rng.normals(mine.count, startingAt: UInt64(mine.lowerBound))
        let all = try comm.allgather(local)
        t.expect(all == rng.normals(count), "gathered blocks equal one whole generation")
        var weighted = 0.0
        for (i, z) in zip(mine, local) { weighted += z * Double(i % 13 + 1) }
        t.record("weighted-sum", [try comm.allreduce(weighted, .sum)], tolerance: 1e-12)
    },
    MPICheck("linalg.sharded-gram") { comm, t in
        let (n, d) = (203, 17)
        let rng = CounterRNG(seed: 5, stream: 1)
        let rows = comm.blockRange(of: n)
        let local = rng.normals(rows.count * d, startingAt: UInt64(rows.lowerBound * d))
        var c = Matrix(rows: d, columns: d)
        local.withUnsafeBufferPointer { BLAS.syrkTransposed(1, $0, rows: rows.count, columns: d, 0, &c) }
        try comm.allreduce(inPlace: &c.elements, .sum)
        c.symmetrizeFromUpper()
        let full = Matrix(rows: n, columns: d, elements: rng.normals(n * d))
        var expected = Matrix(rows: d, columns: d)
        BLAS.gemm(1, full, .transposed, full, .none, 0, &expected)
        t.expectAllClose(c.elements, expected.elements, rel: 1e-12, "sharded AᵀA equals the full product")
        t.record("gram", c.elements, tolerance: 1e-12)
    },
]
