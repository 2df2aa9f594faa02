import CounterRNG
import Datasets
import DistributedFFT
import Foundation
import Linalg
import Parallel

/// Null models of a dataset: surrogate samples that keep one property of the data and destroy the rest.
///
/// Every random number is keyed by global indices — (seed, repeat, sample, feature or Fourier mode) —
/// never by rank, so a surrogate is the same on every rank count. Each function returns this rank's block
/// of the surrogate with the same sample range as the input block.
public enum NullSamples {
    /// Seed offsets that keep the models' streams (and the bootstrap's) apart for one `null.seed`.
    static let wishartTag: UInt64 = 0x57_15_4A_27
    static let phaseTag: UInt64 = 0x9A_5E_00_01
    static let shuffleTag: UInt64 = 0x5B_0F_F1_E5
    static let bootstrapTag: UInt64 = 0xB0_07_57_AB

    /// The factor L = V diag(√max(λ, 0)) of a symmetric positive semi-definite covariance C = V Λ Vᵀ, so that
    /// x = L z with z standard normal has covariance LLᵀ = C (a Cholesky factor would refuse the rank-deficient C of n ≤ d).
    public static func factor(ofCovariance c: Matrix) throws -> Matrix {
        let eigen = try SymmetricEigen(c, vectors: true, solver: .divideAndConquer)
        guard var l = eigen.vectors else { throw CovarianceError("the eigen-solver returned no eigenvectors") }
        let d = c.rows
        for k in 0 ..< d {
            let s = max(eigen.values[k], 0).squareRoot()
            for i in 0 ..< d { l[i, k] *= s }
        }
        return l
    }

    /// The finite-size Wishart null: x_s = L z_s with z_{s,f} = normal(seed, stream `repeat`, index s·d + f), for the
    /// samples s of `block` (same n, d and sample split). The surrogate has zero mean.
    public static func wishart(like block: SampleBlock, factor l: Matrix, seed: UInt64, repeat k: Int) -> SampleBlock {
        let d = block.features
        precondition(l.rows == d && l.columns == d, "the Wishart factor must be d × d")
        let rng = CounterRNG(seed: seed ^ wishartTag, stream: UInt64(k))
        var z = Matrix(rows: block.rows, columns: d)
        z.elements.withUnsafeMutableBufferPointer { buf in
            for r in 0 ..< block.rows {
                let row = UnsafeMutableBufferPointer(rebasing: buf[r * d ..< (r + 1) * d])
                rng.fillNormal(row, startingAt: UInt64(block.firstSample + r) * UInt64(d))
            }
        }
        var x = Matrix(rows: block.rows, columns: d)
        if block.rows > 0 { BLAS.gemm(1, z, .none, l, .transposed, 0, &x) }
        return SampleBlock(firstSample: block.firstSample, rows: block.rows, features: d, totalSamples: block.totalSamples, values: x.elements)
    }

    /// Phase-randomised surrogates of samples that are fields on a periodic grid of `fieldShape` (row-major, any
    /// number of axes; their product is the feature count): each sample's Fourier amplitudes |X_k| are kept and its
    /// phases replaced by uniform ones, φ_k = 2π·uniform(seed, stream `repeat`, index s·d + c(k)), with c(k) the
    /// smaller flat index of the pair {k, −k}, and φ_{−k} = −φ_k, so the surrogate is real (Hermitian symmetry).
    /// The self-conjugate modes (k ≡ −k: the mean k = 0 and the Nyquist modes) must stay real: the mean is kept, the
    /// others get a random sign. Each sample's power spectrum, hence the ensemble's two-point function up to the
    /// random signs, is preserved; coherent structures (phase correlations) are destroyed.
    public static func phaseRandomised(_ block: SampleBlock, fieldShape: [Int], seed: UInt64, repeat k: Int) throws -> SampleBlock {
        let d = block.features
        guard fieldShape.reduce(1, *) == d, !fieldShape.isEmpty else {
            throw CovarianceError("the field shape \(fieldShape) does not have the \(d) features of a sample")
        }
        let modes = FourierPairs(shape: fieldShape)
        let fft = try SerialComplexFFT(shape: fieldShape)
        let rng = CounterRNG(seed: seed ^ phaseTag, stream: UInt64(k))
        var out = [Double](repeating: 0, count: block.values.count)
        let scale = 1 / Double(d)
        for r in 0 ..< block.rows {
            let base = UInt64(block.firstSample + r) * UInt64(d)
            for f in 0 ..< d { fft.buffer[2 * f] = block.values[r * d + f]; fft.buffer[2 * f + 1] = 0 }
            fft.forward()
            for m in 0 ..< d {
                let c = modes.canonical[m]
                let u = rng.uniform(at: base + UInt64(c))
                let re = fft.buffer[2 * m], im = fft.buffer[2 * m + 1]
                if c == m && modes.partner[m] == m {
                    // Self-conjugate: real already (to round-off); keep the mean, flip the Nyquist modes at random.
                    let sign: Double = (m == 0 || u < 0.5) ? 1 : -1
                    fft.buffer[2 * m] = sign * re
                    fft.buffer[2 * m + 1] = 0
                } else {
                    let phi = 2 * Double.pi * u * (c == m ? 1 : -1)
                    let (cs, sn) = (cos(phi), sin(phi))
                    fft.buffer[2 * m] = re * cs - im * sn
                    fft.buffer[2 * m + 1] = re * sn + im * cs
                }
            }
            fft.backward()
            for f in 0 ..< d { out[r * d + f] = fft.buffer[2 * f] * scale }
        }
        return SampleBlock(firstSample: block.firstSample, rows: block.rows, features: d, totalSamples: block.totalSamples, values: out)
    }

    /// The column-shuffled null: each feature f's values permuted over the global samples by the permutation that
    /// sorts the keys bits(seed, stream (repeat << 32) | f, index s) (ties by s). Features become independent with
    /// their marginals kept. Collective: the samples are transposed to feature owners (MPI_Alltoallv), permuted and
    /// transposed back, so the result does not depend on the rank count. Ranks must hold consecutive sample blocks
    /// in rank order (as every loader here does).
    public static func shuffled(_ block: SampleBlock, seed: UInt64, repeat k: Int, communicator comm: Communicator) throws -> SampleBlock {
        let d = block.features, n = block.totalSamples
        precondition(d < 1 << 32 && k < 1 << 31, "shuffle keys need d < 2³² features and fewer than 2³¹ repeats")
        let rows = try comm.allgatherCounts(block.rows)
        let firsts = try comm.allgatherCounts(block.firstSample)
        for p in rows.indices where firsts[p] != rows[..<p].reduce(0, +) || rows.reduce(0, +) != n {
            throw CovarianceError("the shuffle null needs consecutive sample blocks in rank order (rank \(p) starts at sample \(firsts[p]))")
        }
        let owners = BlockDecomposition(count: d, parts: comm.size)
        var send = [Double]()
        send.reserveCapacity(block.values.count)
        var sendCounts = [Int]()
        for q in 0 ..< comm.size {
            let fr = owners.range(of: q)
            for r in 0 ..< block.rows { send.append(contentsOf: block.values[r * d + fr.lowerBound ..< r * d + fr.upperBound]) }
            sendCounts.append(block.rows * fr.count)
        }
        // All n samples of this rank's features, in global sample order (rank order is sample order).
        let mine = owners.range(of: comm.rank), w = mine.count
        let columns = try comm.alltoallv(send, sendCounts: sendCounts)
        send = []
        var permuted = columns
        for (j, f) in mine.enumerated() {
            let rng = CounterRNG(seed: seed ^ shuffleTag, stream: UInt64(k) << 32 | UInt64(f))
            let keys = (0 ..< n).map { rng.bits(at: UInt64($0)) }
            let order = (0 ..< n).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
            for s in 0 ..< n { permuted[s * w + j] = columns[order[s] * w + j] }
        }
        let back = try comm.alltoallv(permuted, sendCounts: rows.map { $0 * w })
        var values = [Double](repeating: 0, count: block.values.count)
        var offset = 0
        for q in 0 ..< comm.size {
            let fr = owners.range(of: q)
            for r in 0 ..< block.rows {
                for (j, f) in fr.enumerated() { values[r * d + f] = back[offset + r * fr.count + j] }
            }
            offset += block.rows * fr.count
        }
        return SampleBlock(firstSample: block.firstSample, rows: block.rows, features: d, totalSamples: n, values: values)
    }

    /// Bootstrap multiplicities: n draws with replacement from the n global samples, draw j picking sample
    /// ⌊n·uniform(seed, stream `repeat`, index j)⌋. The same on every rank (O(n) work each).
    public static func bootstrapCounts(samples n: Int, seed: UInt64, repeat k: Int) -> [Int] {
        let rng = CounterRNG(seed: seed ^ bootstrapTag, stream: UInt64(k))
        var counts = [Int](repeating: 0, count: n)
        for j in 0 ..< n { counts[min(n - 1, Int(rng.uniform(at: UInt64(j)) * Double(n)))] += 1 }
        return counts
    }

    /// This rank's part of the bootstrap resample: each of its samples repeated by its multiplicity, in sample
    /// order (no data movement). The resample has n samples in total; its rows are numbered after the multiplicities
    /// of the samples before this rank's, so concatenating the ranks' blocks gives the same resample on any rank count.
    public static func resampled(_ block: SampleBlock, counts: [Int]) -> SampleBlock {
        let d = block.features
        precondition(counts.count == block.totalSamples, "one multiplicity per global sample")
        var values = [Double]()
        values.reserveCapacity(block.values.count)
        var rows = 0
        for r in 0 ..< block.rows {
            let c = counts[block.firstSample + r]
            for _ in 0 ..< c { values.append(contentsOf: block.values[r * d ..< (r + 1) * d]) }
            rows += c
        }
        let first = counts[..<block.firstSample].reduce(0, +)
        return SampleBlock(firstSample: first, rows: rows, features: d, totalSamples: block.totalSamples, values: values)
    }
}

/// Each Fourier mode's conjugate partner −k (mod the shape) and the canonical (smaller) flat index of the pair.
struct FourierPairs {
    var partner: [Int]
    var canonical: [Int]

    init(shape: [Int]) {
        let d = shape.reduce(1, *)
        partner = [Int](repeating: 0, count: d)
        canonical = [Int](repeating: 0, count: d)
        for m in 0 ..< d {
            var rest = m, p = 0, stride = 1
            for axis in shape.indices.reversed() {
                let n = shape[axis], i = rest % n
                rest /= n
                p += ((n - i) % n) * stride
                stride *= n
            }
            partner[m] = p
            canonical[m] = min(m, p)
        }
    }
}
