import CounterRNG
import DistributedLinalg
import Foundation
import Linalg
import Parallel

// cascade-bench-eigen [nb=NB] D...: symmetric eigen-solve of a GOE-like d × d matrix (a_ij keyed by
// (min(i, j), max(i, j)), the same matrix on any rank count), values only and with vectors.
// On every rank count: ScaLAPACK over the process grid (pdsyevr values only, pdsyevd with vectors).
// On 1 rank also LAPACK on the whole matrix (dsyevd; jobz N for values). One line per solve:
//   <solver> ranks d vectors wall_s cpu_s peak_rss_mb
// wall = the slowest rank's, cpu = the largest per-rank process CPU time (1 BLAS thread per rank).

func cpuNow() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
}

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

Console.lineBuffered()
let comm = Communicator.world
let arguments = CommandLine.arguments.dropFirst()
let blockSize = arguments.first { $0.hasPrefix("nb=") }.flatMap { Int($0.dropFirst(3)) } ?? DistributedSymmetricMatrix.defaultBlockSize
let sizes = arguments.compactMap { Int($0) }
let grid = try ProcessGrid(communicator: comm)

func goeLike(order d: Int, blockSize: Int, grid: ProcessGrid) throws -> DistributedSymmetricMatrix {
    var m = try DistributedSymmetricMatrix(order: d, blockSize: blockSize, grid: grid)
    let rng = CounterRNG(seed: 77, stream: 5)
    // One normal per upper-triangle element, drawn by column of the upper triangle.
    for lj in 0 ..< m.localColumns {
        let j = m.globalColumn(lj)
        let column = rng.normals(j + 1, startingAt: UInt64(j * (j + 1) / 2))
        for li in 0 ..< m.localRows {
            let i = m.globalRow(li)
            m.local[li + lj * m.leadingDimension] = i <= j ? column[i] : rng.normals(1, startingAt: UInt64(i * (i + 1) / 2 + j))[0]
        }
    }
    return m
}

func report(_ solver: String, _ d: Int, _ vectors: Bool, wall: Double, cpu: Double, comm: Communicator) throws {
    let worst = try comm.allreduce([wall, cpu, peakRSSMegabytes()], .max)
    if comm.isRoot {
        Console.out(String(format: "%@ %d %d %d %.4f %.4f %.1f\n", solver, comm.size, d, vectors ? 1 : 0, worst[0], worst[1], worst[2]))
    }
}

for d in sizes {
    let matrix = try goeLike(order: d, blockSize: blockSize, grid: grid)
    for vectors in [false, true] {
        var a = matrix
        a.local.withUnsafeMutableBufferPointer { _ in }  // make the copy before timing
        try comm.barrier()
        let w0 = MPIEnvironment.wtime(), c0 = cpuNow()
        let eigen = try a.diagonalize(vectors: vectors)
        let wall = MPIEnvironment.wtime() - w0, cpu = cpuNow() - c0
        try report(eigen.routine + "/nb\(blockSize)", d, vectors, wall: wall, cpu: cpu, comm: comm)
        if comm.size == 1 {
            // The 1 × 1 grid's local part is the whole column-major matrix: symmetric, so also row-major.
            let full = Matrix(rows: d, columns: d, elements: matrix.local)
            let w1 = MPIEnvironment.wtime(), c1 = cpuNow()
            let reference = try SymmetricEigen(full, vectors: vectors, solver: .divideAndConquer)
            try report("lapack-dsyevd", d, vectors, wall: MPIEnvironment.wtime() - w1, cpu: cpuNow() - c1, comm: comm)
            let scale = reference.values.map(abs).max() ?? 1
            let diff = zip(reference.values, eigen.values).map { abs($0 - $1) }.max() ?? 0
            if diff > 1e-10 * scale { Console.error("eigenvalues of ScaLAPACK and LAPACK differ by \(diff / scale) relative\n") }
        }
    }
}
