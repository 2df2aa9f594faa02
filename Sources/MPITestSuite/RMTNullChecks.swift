import Covariance
import Datasets
import Foundation
import Linalg
import Parallel
import Spectra

/// The mean gap ratio ⟨r̃⟩ of the covariance spectrum of the samples (every rank: the root's value, broadcast).
private func meanGapRatio(_ block: SampleBlock, communicator comm: Communicator) throws -> Double {
    let (_, c) = try ShardedCovariance.covariance(block, root: 0, communicator: comm)
    var r = 0.0
    if let c {
        var o = AnalysisOptions()
        o.zeroTolerance = 1e-10
        o.lengths = [1, 5]
        r = SpectralAnalysis(levels: try SymmetricEigen(c).values, options: o).meanGapRatio
    }
    return try comm.broadcast(r)
}

/// Mean and sample standard deviation.
private func meanStd(_ v: [Double]) -> (Double, Double) {
    let m = v.reduce(0, +) / Double(v.count)
    return (m, (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot())
}

/// Null models and the bootstrap (issue 14): surrogates independent of the rank count, and bootstrap errors that
/// match the spread of independent repeats.
let rmtNullChecks: [MPICheck] = [
    MPICheck("null.surrogates-rank-independent") { comm, t in
        // Every surrogate of the sharded block equals the same surrogate of the whole dataset on one rank, exactly.
        let (n, d) = (53, 12)
        let block = SyntheticData.gaussian(samples: comm.blockRange(of: n), total: n, features: d, seed: 41)
        let whole = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 41)
        let solo = try comm.split(color: comm.rank)
        let mine = block.sampleRange
        func rows(_ b: SampleBlock) -> [Double] { Array(b.values[mine.lowerBound * d ..< mine.upperBound * d]) }
        let shuffled = try NullSamples.shuffled(block, seed: 5, repeat: 3, communicator: comm)
        let shuffledWhole = try NullSamples.shuffled(whole, seed: 5, repeat: 3, communicator: solo)
        t.expect(shuffled.values == rows(shuffledWhole), "shuffle on \(comm.size) ranks equals the single-rank shuffle")
        // Each feature keeps its values (a permutation of the column).
        for f in 0 ..< d {
            let a = (0 ..< n).map { whole.values[$0 * d + f] }.sorted(), b = (0 ..< n).map { shuffledWhole.values[$0 * d + f] }.sorted()
            t.expect(a == b, "shuffle keeps the values of feature \(f)")
        }
        let phase = try NullSamples.phaseRandomised(block, fieldShape: [3, 4], seed: 5, repeat: 1)
        let phaseWhole = try NullSamples.phaseRandomised(whole, fieldShape: [3, 4], seed: 5, repeat: 1)
        t.expect(phase.values == rows(phaseWhole), "phase surrogates are keyed by the global sample")
        let l = try NullSamples.factor(ofCovariance: ShardedCovariance.covariance(whole, communicator: solo).matrix)
        let w = NullSamples.wishart(like: block, factor: l, seed: 5, repeat: 2)
        t.expect(w.values == rows(NullSamples.wishart(like: whole, factor: l, seed: 5, repeat: 2)), "Wishart samples are keyed by the global sample")
        let counts = NullSamples.bootstrapCounts(samples: n, seed: 5, repeat: 0)
        t.expect(counts.reduce(0, +) == n, "the bootstrap draws n samples")
        let resample = NullSamples.resampled(block, counts: counts)
        let all = try comm.allgather(resample.values)
        t.expect(all == NullSamples.resampled(whole, counts: counts).values, "the ranks' resamples concatenate to the single-rank resample")
        t.record("shuffled", try comm.allgather(shuffled.values))
        t.record("phase", try comm.allgather(phase.values))
    },
    MPICheck("null.phase-keeps-amplitudes") { comm, t in
        // |X_k| of every sample kept (to round-off) and the surrogate real; the phases changed.
        let shape = [6, 8], d = 48, n = 5
        let block = SyntheticData.gaussian(samples: 0 ..< n, total: n, features: d, seed: 43)
        let s = try NullSamples.phaseRandomised(block, fieldShape: shape, seed: 9, repeat: 0)
        func amplitudes(_ x: ArraySlice<Double>) -> [Double] {
            (0 ..< shape[0]).flatMap { ky in (0 ..< shape[1]).map { kx -> Double in
                var re = 0.0, im = 0.0
                for (p, v) in x.enumerated() {
                    let (y, xx) = (p / shape[1], p % shape[1])
                    let a = -2 * Double.pi * (Double(ky * y) / Double(shape[0]) + Double(kx * xx) / Double(shape[1]))
                    re += v * cos(a); im += v * sin(a)
                }
                return (re * re + im * im).squareRoot()
            } }
        }
        for r in 0 ..< n {
            let a = amplitudes(block.values[r * d ..< (r + 1) * d]), b = amplitudes(s.values[r * d ..< (r + 1) * d])
            t.expectAllClose(b, a, rel: 1e-12, "sample \(r): Fourier amplitudes kept")
        }
        t.expect(zip(block.values, s.values).contains { abs($0 - $1) > 1e-3 }, "the surrogate differs from the data")
        t.record("phase", s.values)
        _ = comm
    },
    MPICheck("null.bootstrap-covers-repeats") { comm, t in
        // ⟨r̃⟩ of 32 independent white datasets (n = 400, d = 100) against the bootstrap standard error (32 resamples)
        // of each of 4 of them: the mean bootstrap error within a factor 0.5–2 of the repeats' spread.
        let (n, d, repeats) = (400, 100, 32)
        var independent: [Double] = []
        for k in 0 ..< repeats {
            let b = SyntheticData.gaussian(samples: comm.blockRange(of: n), total: n, features: d, seed: UInt64(1000 + k))
            independent.append(try meanGapRatio(b, communicator: comm))
        }
        var errors: [Double] = []
        for k in 0 ..< 4 {
            let b = SyntheticData.gaussian(samples: comm.blockRange(of: n), total: n, features: d, seed: UInt64(1000 + k))
            let resampled = try (0 ..< repeats).map { j in
                try meanGapRatio(NullSamples.resampled(b, counts: NullSamples.bootstrapCounts(samples: n, seed: 7, repeat: j)), communicator: comm)
            }
            errors.append(meanStd(resampled).1)
        }
        let spread = meanStd(independent).1, bootstrap = errors.reduce(0, +) / Double(errors.count)
        if comm.isRoot { print(String(format: "     ⟨r⟩ over 32 independent repeats: sd %.4f; bootstrap standard error (mean of 4): %.4f (ratio %.2f)", spread, bootstrap, bootstrap / spread)) }
        t.expect(bootstrap >= 0.5 * spread && bootstrap <= 2 * spread, "bootstrap error \(bootstrap) within 0.5–2 × the repeats' spread \(spread)")
        t.record("spread", [spread, bootstrap], tolerance: 1e-9)
    },
]
