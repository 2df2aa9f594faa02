import Covariance
import CounterRNG
import Datasets
import Foundation
import Linalg
import Parallel
import Spectra
import Storage

/// The covariance of the whole dataset computed on one rank, by the textbook two-pass formula.
private func serialCovariance(_ x: [Double], n: Int, d: Int) -> [Double] {
    var mean = [Double](repeating: 0, count: d)
    for r in 0 ..< n { for f in 0 ..< d { mean[f] += x[r * d + f] } }
    mean = mean.map { $0 / Double(n) }
    var c = [Double](repeating: 0, count: d * d)
    for r in 0 ..< n {
        for i in 0 ..< d { for j in 0 ..< d { c[i * d + j] += (x[r * d + i] - mean[i]) * (x[r * d + j] - mean[j]) } }
    }
    return c.map { $0 / Double(n - 1) }
}

/// Sharded covariance, Gram matrix, dataset reading and spectral statistics: the same on every rank count.
let rmtChecks: [MPICheck] = [
    MPICheck("covariance.sharded-equals-serial") { comm, t in
        let (n, d) = (517, 23)
        var block = SyntheticData.gaussian(samples: comm.blockRange(of: n), total: n, features: d, seed: 31)
        block.values = block.values.map { $0 * 3 + 1e6 }   // a large offset: centring must be done right
        let (_, c) = try ShardedCovariance.covariance(block, communicator: comm, chunkRows: 50)
        let all = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 31).values.map { $0 * 3 + 1e6 }
        t.expectAllClose(c.elements, serialCovariance(all, n: n, d: d), rel: 1e-9, "sharded covariance equals the serial two-pass one")
        t.record("covariance", c.elements, tolerance: 1e-9)
    },
    MPICheck("covariance.gram-ring") { comm, t in
        let (n, d) = (37, 50)
        let block = SyntheticData.gaussian(samples: comm.blockRange(of: n), total: n, features: d, seed: 32)
        let (_, g) = try ShardedCovariance.gram(block, standardize: true, communicator: comm)
        let whole = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 32)
        let (_, expected) = try ShardedCovariance.gram(whole, standardize: true, communicator: try comm.split(color: comm.rank))
        t.expectAllClose(g.elements, expected.elements, rel: 1e-12, "ring Gram equals the single-rank Gram")
        t.record("gram", g.elements, tolerance: 1e-12)
    },
    MPICheck("covariance.matrices-on-one-rank") { comm, t in
        // Defect 18: the matrix is assembled on the rank that uses it only; the others hold no n × n or d × d copy.
        let (n, d) = (41, 29)
        let root = comm.size - 1
        let block = SyntheticData.gaussian(samples: comm.blockRange(of: n), total: n, features: d, seed: 34)
        let whole = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 34)
        let solo = try comm.split(color: comm.rank)
        let (_, g) = try ShardedCovariance.gram(block, standardize: false, root: root, communicator: comm)
        let (_, c) = try ShardedCovariance.covariance(block, root: root, communicator: comm)
        let (_, gSerial) = try ShardedCovariance.gram(whole, standardize: false, communicator: solo)
        let (_, cSerial) = try ShardedCovariance.covariance(whole, communicator: solo)
        if comm.rank == root {
            guard let g, let c else { return t.expect(false, "no matrix on the root") }
            t.expectAllClose(g.elements, gSerial.elements, rel: 1e-13, "Gram on the root equals the single-rank Gram")
            t.expectAllClose(c.elements, cSerial.elements, rel: 1e-12, "covariance on the root equals the single-rank one")
        } else {
            t.expect(g == nil && c == nil, "no matrix off the root")
        }
        // The same matrices on any rank count (recorded by every rank: the root's copy, broadcast).
        var gr = g?.elements ?? [], cr = c?.elements ?? []
        try comm.broadcast(&gr, root: root)
        try comm.broadcast(&cr, root: root)
        t.record("gram", gr, tolerance: 1e-12)
        t.record("covariance", cr, tolerance: 1e-9)
    },
    MPICheck("covariance.dataset-read-stride-crop-coarse") { comm, t in
        let path = try sharedPath(comm, "rmt-data")
        let (samples, ny, nx) = (29, 8, 6)
        func value(_ s: Int, _ y: Int, _ x: Int) -> Double { Double(s * 100 + y * 10 + x) + 0.5 }
        let file = try H5File.create(path, communicator: comm)
        let mine = comm.blockRange(of: samples)
        var local: [Double] = []
        for s in mine { for y in 0 ..< ny { for x in 0 ..< nx { local.append(value(s, y, x)) } } }
        try file.createDataset("/field", of: Double.self, shape: [samples, ny, nx])
        try file.write("/field", local, offset: [mine.lowerBound, 0, 0], count: [mine.count, ny, nx])
        try file.close()
        var sel = DatasetSelection(file: path, dataset: "field")
        (sel.first, sel.samples, sel.stride, sel.crop, sel.coarse, sel.blockRows) = (2, 9, 3, [2, 6, 0, 6], [2, 3], 2)   // several blocks per rank
        let resolved = try DatasetReader.resolve(sel, communicator: comm)
        t.expect(resolved.samples == 9 && resolved.fieldShape == [2, 2], "resolved \(resolved.samples) samples of \(resolved.fieldShape)")
        let block = try DatasetReader.read(sel, resolved, communicator: comm)
        var expected: [Double] = []
        for k in block.sampleRange {
            let s = 2 + 3 * k
            for by in 0 ..< 2 {
                for bx in 0 ..< 2 {
                    var sum = 0.0
                    for y in 0 ..< 2 { for x in 0 ..< 3 { sum += value(s, 2 + by * 2 + y, bx * 3 + x) } }
                    expected.append(sum / 6)
                }
            }
        }
        t.expectAllClose(block.values, expected, rel: 1e-15, "strided, cropped, coarse-grained samples")
        let gathered = try comm.allgather(block.values)
        t.record("read", gathered, tolerance: 0)
        sel.samples = 10
        do {
            _ = try DatasetReader.resolve(sel, communicator: comm)
            t.expect(false, "10 samples with stride 3 from 2 of 29 were accepted")
        } catch let e as DatasetError {
            // The dataset layer names its own field and the limit, never a job-file key.
            t.expect(e.field == .samples && e.problem.contains("9") && !e.fix.isEmpty, "error names the field and the limit: \(e)")
            t.expect(!"\(e)".contains("source."), "error speaks no job-file vocabulary: \(e)")
        }
        try cleanUp(comm, path)
    },
    MPICheck("rmt.statistics-independent-of-ranks") { comm, t in
        // Power-law data sharded over the ranks; the statistics must not depend on how.
        let (n, d) = (1500, 160)
        let block = try SyntheticData.powerLaw(samples: comm.blockRange(of: n), total: n, features: d, exponent: 0.4, seed: 33)
        let (_, c) = try ShardedCovariance.covariance(block, communicator: comm)
        var levels = try SymmetricEigen(c).values
        try comm.broadcast(&levels)
        var options = AnalysisOptions()
        options.zeroTolerance = 1e-10
        options.windows = 300
        options.wishart = .covariance(samples: n, features: d)     // the Marchenko–Pastur columns are defined and compared too
        let a = SpectralAnalysis(levels: levels, options: options)
        t.expect(a.scalars.allSatisfy { $0.isFinite }, "all statistics finite: \(a.scalars)")
        t.record("eigenvalues", levels, tolerance: 1e-10)
        t.record("scalars", a.scalars, tolerance: 1e-8)
        t.record("sigma2-delta3", a.numberVariance.measured + a.rigidity.measured, tolerance: 1e-8)
        t.record("form-factor", a.formFactor.measured, tolerance: 1e-8)
        t.record("spacing-histogram", a.spacing.measured, tolerance: 1e-12)
    },
]
