import Covariance
import CounterRNG
import Datasets
import DistributedLinalg
import Foundation
import Linalg
import Parallel
import Storage

/// This rank's block of `n` samples × `d` correlated features with spread-out variances (so the
/// spectrum is non-degenerate), keyed by global (sample, feature): the same data on any rank count.
private func correlatedSamples(_ comm: Communicator, samples n: Int, features d: Int, seed: UInt64) -> SampleBlock {
    let rows = comm.blockRange(of: n)
    let rng = CounterRNG(seed: seed, stream: 3)
    let z = rng.normals(rows.count * (d + 1), startingAt: UInt64(rows.lowerBound * (d + 1)))
    var values = [Double](repeating: 0, count: rows.count * d)
    for r in 0 ..< rows.count {
        for f in 0 ..< d {
            // Feature f: its own noise, scaled by a spread of variances, plus a share of its neighbour's.
            values[r * d + f] = (1 + 0.05 * Double(f)) * z[r * (d + 1) + f] + 0.4 * z[r * (d + 1) + f + 1] + 0.01 * Double(f)
        }
    }
    return SampleBlock(firstSample: rows.lowerBound, rows: rows.count, features: d, totalSamples: n, values: values)
}

/// Compares a distributed eigen-decomposition with LAPACK's of the same (replicated) matrix:
/// eigenvalues to 1e-12 of the largest magnitude; eigenvectors to 1e-10 up to sign, only where the
/// eigenvalue is separated from its neighbours by more than 1e-6 of the largest (elsewhere a vector
/// is not defined by the matrix). Returns how many vectors were compared.
@discardableResult
private func compareEigen(_ t: CheckContext, _ distributed: DistributedEigen, _ reference: SymmetricEigen, _ label: String) throws -> Int {
    t.expectAllClose(distributed.values, reference.values, rel: 1e-12, "\(label): \(distributed.routine) eigenvalues = LAPACK's")
    guard let dv = distributed.vectors, let rv = reference.vectors else { return 0 }
    let z = try dv.gathered()
    let values = reference.values
    let n = values.count
    let scale = values.map(abs).max() ?? 1
    var compared = 0, worst = 0.0
    for k in 0 ..< n {
        let below = k > 0 ? values[k] - values[k - 1] : .infinity
        let above = k + 1 < n ? values[k + 1] - values[k] : .infinity
        guard min(below, above) > 1e-6 * scale else { continue }
        var dot = 0.0
        for i in 0 ..< n { dot += z[i, k] * rv[i, k] }
        let sign: Double = dot < 0 ? -1 : 1
        for i in 0 ..< n { worst = max(worst, abs(sign * z[i, k] - rv[i, k])) }
        compared += 1
    }
    t.expect(worst <= 1e-10, "\(label): \(distributed.routine) eigenvectors differ from LAPACK's by \(worst) (> 1e-10) up to sign")
    t.expect(compared >= n / 2, "\(label): only \(compared) of \(n) eigenvalues separated enough to compare vectors")
    return compared
}

/// The block-cyclic matrix equals the replicated one to 1e-12, and its pdsyevd decomposition LAPACK's
/// (``compareEigen(_:_:_:_:)``); records the eigenvalues under `key` for the cross-rank comparison.
private func checkAgainstReplicated(_ t: CheckContext, _ distributed: DistributedSymmetricMatrix, _ reference: Matrix,
                                    _ label: String, record key: String) throws {
    t.expectAllClose(try distributed.gathered().elements, reference.elements, rel: 1e-12, "block-cyclic \(label) = replicated \(label)")
    let lapack = try SymmetricEigen(reference, vectors: true)
    var a = distributed
    let eigen = try a.diagonalize(vectors: true)
    try compareEigen(t, eigen, lapack, label)
    t.record(key, eigen.values, tolerance: 1e-12)
}

/// This process's peak and current resident set (VmHWM, VmRSS of /proc/self/status), in bytes.
private func residentBytes() -> (peak: Int, current: Int) {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
    func field(_ name: String) -> Int {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
    return (field("VmHWM:"), field("VmRSS:"))
}

/// ScaLAPACK: grids 1×1, 1×2, 1×3, 2×2 for 1–4 ranks; covariance, correlation and Gram matrices
/// assembled block-cyclically equal the replicated ones; pdsyevd/pdsyevr equal LAPACK; the strided
/// parallel write; the distributed matrix's memory falling as 1/P.
let distributedLinalgChecks: [MPICheck] = [
    MPICheck("scalapack.grid-and-layout") { comm, t in
        let grid = try ProcessGrid(communicator: comm)
        let expected = [1: (1, 1), 2: (1, 2), 3: (1, 3), 4: (2, 2), 6: (2, 3), 8: (2, 4), 9: (3, 3), 16: (4, 4)]
        if let (r, c) = expected[comm.size] { t.expect(grid.rows == r && grid.columns == c, "grid \(grid.rows)×\(grid.columns) for \(comm.size) ranks, expected \(r)×\(c)") }
        for (n, nb, p) in [(150, 32, 3), (64, 64, 2), (1, 64, 4), (200, 7, 4), (97, 10, 1)] {
            let axis = BlockCyclicAxis(length: n, blockSize: nb, processes: p)
            var seen = [Int](repeating: 0, count: n)
            for q in 0 ..< p {
                let count = axis.localCount(of: q)
                for l in 0 ..< count {
                    let g = axis.globalIndex(of: l, on: q)
                    t.expect(axis.owner(of: g) == q && axis.localIndex(of: g) == l, "axis \(n)/\(nb)/\(p): global \(g) maps back to (\(q), \(l))")
                    seen[g] += 1
                }
                let runs = axis.runs(of: q)
                var fromRuns: [Int] = []
                for run in runs { for b in 0 ..< run.count { fromRuns += (0 ..< run.block).map { run.start + b * run.stride + $0 } } }
                t.expect(fromRuns == (0 ..< count).map { axis.globalIndex(of: $0, on: q) }, "axis \(n)/\(nb)/\(p): runs of process \(q) list its indices")
            }
            t.expect(seen.allSatisfy { $0 == 1 }, "axis \(n)/\(nb)/\(p): every global index on exactly one process")
        }
    },
    MPICheck("scalapack.covariance-eigen") { comm, t in
        // d = 150 with nb = 32: four whole blocks and one of 22, spread over every grid shape.
        let (n, d, nb) = (400, 150, 32)
        let block = correlatedSamples(comm, samples: n, features: d, seed: 41)
        let grid = try ProcessGrid(communicator: comm)
        let (mean, reference) = try ShardedCovariance.covariance(block, communicator: comm)
        let (dmean, dc) = try ShardedCovariance.distributedCovariance(block, correlation: false, grid: grid, blockSize: nb)
        t.expectAllClose(dmean, mean, rel: 1e-14, "distributed mean = replicated mean")
        t.expectAllClose(try dc.gathered().elements, reference.elements, rel: 1e-12, "block-cyclic covariance = replicated covariance")
        t.expect(dc.localBytes <= (d * d * 8) / comm.size + 2 * nb * d * 8, "rank part \(dc.localBytes) B is about 1/\(comm.size) of \(d * d * 8) B")
        let lapack = try SymmetricEigen(reference, vectors: true, solver: .divideAndConquer)
        var a = dc
        let withVectors = try a.diagonalize(vectors: true, solver: .divideAndConquer)
        let compared = try compareEigen(t, withVectors, lapack, "covariance")
        var b = dc
        let mrrr = try b.diagonalize(vectors: true, solver: .relativelyRobust)
        try compareEigen(t, mrrr, lapack, "covariance")
        var c = dc
        let valuesOnly = try c.diagonalize(vectors: false)
        t.expect(valuesOnly.vectors == nil && valuesOnly.routine == "pdsyevr", "values only run pdsyevr without vectors")
        try compareEigen(t, valuesOnly, lapack, "covariance")
        t.record("eigenvalues", withVectors.values, tolerance: 1e-12)
        t.record("vectors-compared", [Double(compared)], tolerance: 0)
    },
    MPICheck("scalapack.correlation-eigen") { comm, t in
        let (n, d, nb) = (300, 75, 16)
        var block = correlatedSamples(comm, samples: n, features: d, seed: 42)
        // A constant feature: correlation row and column 0, diagonal 1, as the replicated path.
        for r in 0 ..< block.rows { block.values[r * d + 5] = 2.5 }
        let grid = try ProcessGrid(communicator: comm)
        let (_, cov) = try ShardedCovariance.covariance(block, communicator: comm)
        let reference = ShardedCovariance.correlation(fromCovariance: cov)
        let (_, dr) = try ShardedCovariance.distributedCovariance(block, correlation: true, grid: grid, blockSize: nb)
        try checkAgainstReplicated(t, dr, reference, "correlation", record: "eigenvalues")
    },
    MPICheck("scalapack.gram-eigen") { comm, t in
        // n = 130 samples with nb = 32 (four blocks and one of 2), d = 170 > n: a full-rank centred Gram.
        let (n, d, nb) = (130, 170, 32)
        let block = correlatedSamples(comm, samples: n, features: d, seed: 43)
        let grid = try ProcessGrid(communicator: comm)
        for standardize in [false, true] {
            let (_, reference) = try ShardedCovariance.gram(block, standardize: standardize, communicator: comm)
            let (_, dg) = try ShardedCovariance.distributedGram(block, standardize: standardize, grid: grid, blockSize: nb)
            // Centring leaves one zero eigenvalue (the constant vector), separated from the rest.
            try checkAgainstReplicated(t, dg, reference, "Gram (standardize \(standardize))", record: "eigenvalues-\(standardize)")
        }
    },
    MPICheck("scalapack.eigenvectors-hdf5") { comm, t in
        // Each rank writes its block-cyclic part in one strided collective write; the file equals the gathered matrix.
        let (n, d, nb) = (90, 57, 8)
        let block = correlatedSamples(comm, samples: n, features: d, seed: 44)
        let grid = try ProcessGrid(communicator: comm)
        var (_, dc) = try ShardedCovariance.distributedCovariance(block, correlation: false, grid: grid, blockSize: nb)
        let eigen = try dc.diagonalize(vectors: true)
        let vectors = try unwrapped(eigen.vectors)
        let path = try sharedPath(comm, "eigenvectors")
        let file = try H5File.create(path, communicator: comm)
        try file.createDataset("/eigenvectors", of: Double.self, shape: [d, d])
        try vectors.write(to: file, path: "/eigenvectors")
        try file.close()
        let back = try H5File.open(path, communicator: comm)
        let stored = try back.read("/eigenvectors", as: Double.self)
        try back.close()
        try cleanUp(comm, path)
        t.expect(stored == (try vectors.gathered()).elements, "the strided parallel write stores every element where the gathered matrix has it")
    },
    MPICheck("scalapack.memory-one-over-p") { comm, t in
        // A 4096² matrix (128 MiB) assembled from 64 samples: its blocks dominate each rank's peak RSS.
        let (n, d) = (64, 4096)
        let before = residentBytes()
        let block = correlatedSamples(comm, samples: n, features: d, seed: 45)
        let grid = try ProcessGrid(communicator: comm)
        let (_, _, dc) = try ShardedCovariance.distributedComoment(block, grid: grid)
        let after = residentBytes()
        let full = d * d * 8
        let parts = try comm.allgather([Double(dc.localBytes), Double(after.peak), Double(after.peak - before.current)])
        if comm.isRoot {
            for r in 0 ..< comm.size {
                let (bytes, peak, growth) = (parts[3 * r], parts[3 * r + 1], parts[3 * r + 2])
                Console.out(String(format: "  P=%d rank %d: distributed matrix %.1f MiB (full %.0f MiB / P = %.1f), peak RSS %.1f MiB, growth during assembly %.1f MiB\n",
                                   comm.size, r, bytes / 1048576, Double(full) / 1048576, Double(full) / Double(comm.size) / 1048576,
                                   peak / 1048576, growth / 1048576))
            }
        }
        let share = Double(full) / Double(comm.size)
        for r in 0 ..< comm.size {
            t.expect(parts[3 * r] <= share * 1.02 + 64 * 4096 * 8, "rank \(r) holds \(parts[3 * r]) B, more than 1/\(comm.size) of \(full) B")
            // Growth = its blocks + the panel and packed copies (2 · n · Pc · nb doubles) + the samples and slack.
            t.expect(parts[3 * r + 2] <= share * 1.15 + 24 * 1048576, "rank \(r) grew \(parts[3 * r + 2] / 1048576) MiB while assembling, beyond 1/P of the matrix + 24 MiB")
        }
    },
]

/// The wrapped value, or an error naming what was missing (no XCTest in the MPI suite).
private func unwrapped<T>(_ value: T?) throws -> T {
    guard let value else { throw CovarianceError("expected a value, found nil") }
    return value
}
