import Datasets
import DistributedLinalg
import Linalg
import Parallel

/// The comoment Σ (x − μ)(x − μ)ᵀ accumulated straight into a block-cyclic matrix: no rank ever
/// holds the d × d matrix, only its blocks.
///
/// Samples are folded in as blocks of rows, each centred on a fixed `shift` K, and the exact
/// shifted-data identity Σ(x − μ)(x − μ)ᵀ = Σ(x − K)(x − K)ᵀ − n(μ − K)(μ − K)ᵀ is applied at the end
/// (a rank-1 update of the owned elements). With K = the global mean (known when the samples are in
/// memory) the correction vanishes and the sums are those of the replicated path; a streaming reader
/// passes the mean of a first block, which keeps the shifted sums small.
public struct DistributedComoment: Sendable {
    /// The matrix so far (Σ (x − K)(x − K)ᵀ until ``finish()``).
    public private(set) var matrix: DistributedSymmetricMatrix
    /// The centring shift K.
    public let shift: [Double]
    private var shiftedSum: [Double]
    private var rows = 0

    /// An empty comoment of `shift.count` features on `grid`.
    public init(shift: [Double], grid: ProcessGrid, blockSize: Int = DistributedSymmetricMatrix.defaultBlockSize) throws {
        matrix = try DistributedSymmetricMatrix(order: shift.count, blockSize: blockSize, grid: grid)
        self.shift = shift
        shiftedSum = [Double](repeating: 0, count: shift.count)
    }

    /// Folds this rank's `count` samples (row-major, `count × features`) into the comoment.
    /// Collective: every rank calls it the same number of times, with `count` 0 when it has no rows left.
    public mutating func fold(_ values: UnsafeBufferPointer<Double>, count: Int) throws {
        let d = shift.count
        precondition(values.count == count * d, "fold: \(values.count) values for \(count) samples × \(d) features")
        var centred = [Double](repeating: 0, count: count * d)
        for r in 0 ..< count {
            let base = r * d
            for f in 0 ..< d {
                let t = values[base + f] - shift[f]
                centred[base + f] = t
                shiftedSum[f] += t
            }
        }
        rows += count
        try centred.withUnsafeBufferPointer { try matrix.addCrossProduct(of: $0, rows: count, scale: 1) }
    }

    /// The sample count, the global mean and the comoment, every rank its blocks. Collective; call it
    /// once, last (it applies the shift correction to ``matrix`` in place, so no second copy is made).
    public mutating func finish() throws -> (count: Int, mean: [Double], comoment: DistributedSymmetricMatrix) {
        var packed = shiftedSum + [Double(rows)]
        try matrix.grid.communicator.allreduce(inPlace: &packed, .sum)
        let n = packed.removeLast()
        let offset = packed.map { n > 0 ? $0 / n : 0 }  // μ − K
        if offset.contains(where: { $0 != 0 }) { matrix.update { i, j, v in v - n * offset[i] * offset[j] } }
        return (Int(n.rounded()), zip(shift, offset).map { $0 + $1 }, matrix)
    }
}

extension ShardedCovariance {
    /// Default bytes of one fold's centred copy in the distributed comoment (each fold is one round of
    /// reduce-scatters over the whole matrix, so folds are made large).
    public static let defaultFoldBytes = 256 << 20

    /// The global mean and the comoment Σ (x − μ)(x − μ)ᵀ as a block-cyclic matrix on `grid`
    /// (collective): the same numbers as ``comoment(_:root:communicator:chunkRows:)`` to round-off,
    /// never a d × d matrix on any rank. The mean comes first (one allreduce), then this rank's
    /// samples are folded in blocks of at most `foldBytes`.
    public static func distributedComoment(_ block: SampleBlock, grid: ProcessGrid,
                                           blockSize: Int = DistributedSymmetricMatrix.defaultBlockSize,
                                           foldBytes: Int = defaultFoldBytes) throws -> (count: Int, mean: [Double], comoment: DistributedSymmetricMatrix) {
        let comm = grid.communicator
        let d = block.features
        let (_, mean) = try globalMean(localMean: localMean(block), rows: block.rows, communicator: comm)
        var accumulator = try DistributedComoment(shift: mean, grid: grid, blockSize: blockSize)
        let chunk = max(1, foldBytes / max(1, 8 * d))
        let folds = try comm.allreduce((block.rows + chunk - 1) / chunk, .max)
        try block.values.withUnsafeBufferPointer { x in
            for k in 0 ..< folds {
                let start = min(block.rows, k * chunk), end = min(block.rows, start + chunk)
                try accumulator.fold(UnsafeBufferPointer(rebasing: x[start * d ..< end * d]), count: end - start)
            }
        }
        return try accumulator.finish()
    }

    /// The sample covariance (ddof 1, as `np.cov(X, rowvar=False)`) or, with `correlation`, the
    /// correlation D^{-1/2} C D^{-1/2} (diagonal 1, a constant feature's row and column 0) as a
    /// block-cyclic matrix, and the mean on every rank. Collective.
    public static func distributedCovariance(_ block: SampleBlock, correlation: Bool, grid: ProcessGrid,
                                             blockSize: Int = DistributedSymmetricMatrix.defaultBlockSize) throws -> (mean: [Double], matrix: DistributedSymmetricMatrix) {
        var (n, mean, c) = try distributedComoment(block, grid: grid, blockSize: blockSize)
        guard n >= 2 else { throw CovarianceError("a covariance needs at least 2 samples, found \(n)") }
        let scale = 1 / Double(n - 1)
        c.update { _, _, v in v * scale }
        if correlation {
            let s = try c.diagonal().map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
            c.scale(rows: s, columns: s)
            c.update { i, j, v in i == j ? 1 : v }
        }
        return (mean, c)
    }

    /// The n × n Gram matrix (1/d) X̃X̃ᵀ of the centred (and, if `standardize`, unit-variance) samples
    /// as a block-cyclic matrix on `grid`, and the feature moments. Collective.
    ///
    /// One all-to-all turns the ranks' sample rows into feature slices (all n samples × d/P features
    /// per rank: the same bytes as the samples), so that G = Σᵣ X̃[:, fᵣ] X̃[:, fᵣ]ᵀ is assembled by
    /// ``DistributedSymmetricMatrix/addCrossProduct(of:rows:scale:panelBytes:)`` like a comoment.
    public static func distributedGram(_ block: SampleBlock, standardize: Bool, grid: ProcessGrid,
                                       blockSize: Int = DistributedSymmetricMatrix.defaultBlockSize) throws -> (moments: FeatureMoments, matrix: DistributedSymmetricMatrix) {
        let comm = grid.communicator
        let d = block.features
        let moments = try moments(block, communicator: comm)
        let n = moments.count
        let scale = standardize ? moments.standardDeviation.map { $0 > 0 ? 1 / $0 : 0 } : [Double](repeating: 1, count: d)
        let features = BlockDecomposition(count: d, parts: comm.size)
        // To rank q: this rank's rows × q's features, feature-major (f, then sample).
        var send = [Double](repeating: 0, count: block.rows * d)
        var sendCounts = [Int](repeating: 0, count: comm.size)
        var at = 0
        for q in 0 ..< comm.size {
            let fs = features.range(of: q)
            for f in fs {
                for r in 0 ..< block.rows { send[at] = (block.values[r * d + f] - moments.mean[f]) * scale[f]; at += 1 }
            }
            sendCounts[q] = fs.count * block.rows
        }
        let received = try comm.alltoallv(send, sendCounts: sendCounts)
        send = []
        // Ranks hold consecutive sample blocks in rank order: source s's samples start at offsets[s].
        let sampleCounts = try comm.allgatherCounts(block.rows)
        let mine = features.range(of: comm.rank).count
        var slice = [Double](repeating: 0, count: mine * n)  // row-major mine × n: feature f's n samples
        var source = 0, first = 0
        for s in 0 ..< comm.size {
            for f in 0 ..< mine {
                for r in 0 ..< sampleCounts[s] { slice[f * n + first + r] = received[source + f * sampleCounts[s] + r] }
            }
            source += mine * sampleCounts[s]
            first += sampleCounts[s]
        }
        var g = try DistributedSymmetricMatrix(order: n, blockSize: blockSize, grid: grid)
        try slice.withUnsafeBufferPointer { try g.addCrossProduct(of: $0, rows: mine, scale: 1 / Double(d)) }
        return (moments, g)
    }
}
