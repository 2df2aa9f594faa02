import Datasets
import Linalg
import Parallel

/// Per-feature mean and sum of squared deviations over all ranks' samples.
public struct FeatureMoments: Sendable {
    /// Samples counted (all ranks).
    public var count: Int
    /// Mean of each feature.
    public var mean: [Double]
    /// Σ (x − mean)² of each feature.
    public var m2: [Double]

    /// Sample standard deviation (ddof 1) of each feature.
    public var standardDeviation: [Double] { m2.map { ($0 / Double(max(count - 1, 1))).squareRoot() } }
}

/// Covariance, correlation and Gram matrices of a dataset whose samples are split over ranks.
///
/// Centred properly (never E[xxᵀ] − μμᵀ): each rank subtracts its own mean and accumulates
/// its comoment Cᵣ = Σ (x − μᵣ)(x − μᵣ)ᵀ with BLAS syrk; the ranks' parts are merged with the
/// parallel formula of Chan, Golub & LeVeque (1979),
/// C = Σᵣ [Cᵣ + nᵣ (μᵣ − μ)(μᵣ − μ)ᵀ], μ = Σᵣ nᵣ μᵣ / n, in one MPI reduction of the packed upper triangle.
///
/// Each matrix is built on one rank (`root`) when only that rank uses it: the others send their parts
/// and hold no result (`nil`). The variants without `root` give the matrix to every rank.
public enum ShardedCovariance {
    /// Default rows per syrk call: bounds the centred copy to `chunkRows × features` doubles.
    public static let defaultChunkRows = 1024

    /// This rank's mean of each feature (zeros when it holds no samples).
    static func localMean(_ block: SampleBlock) -> [Double] {
        let d = block.features
        var mean = [Double](repeating: 0, count: d)
        guard block.rows > 0 else { return mean }
        block.values.withUnsafeBufferPointer { x in
            for r in 0 ..< block.rows { for f in 0 ..< d { mean[f] += x[r * d + f] } }
        }
        let inv = 1 / Double(block.rows)
        for f in 0 ..< d { mean[f] *= inv }
        return mean
    }

    /// The global mean from the ranks' counts and means (one allreduce of d + 1 values).
    static func globalMean(localMean: [Double], rows: Int, communicator comm: Communicator) throws -> (Int, [Double]) {
        var packed = localMean.map { $0 * Double(rows) } + [Double(rows)]
        try comm.allreduce(inPlace: &packed, .sum)
        let n = packed.removeLast()
        return (Int(n.rounded()), n > 0 ? packed.map { $0 / n } : packed)
    }

    /// Per-feature moments merged over ranks (Chan et al. formula for the diagonal).
    public static func moments(_ block: SampleBlock, communicator comm: Communicator) throws -> FeatureMoments {
        let d = block.features
        let mu = localMean(block)
        var m2 = [Double](repeating: 0, count: d)
        block.values.withUnsafeBufferPointer { x in
            for r in 0 ..< block.rows { for f in 0 ..< d { let t = x[r * d + f] - mu[f]; m2[f] += t * t } }
        }
        let (n, mean) = try globalMean(localMean: mu, rows: block.rows, communicator: comm)
        for f in 0 ..< d { let delta = mu[f] - mean[f]; m2[f] += Double(block.rows) * delta * delta }
        try comm.allreduce(inPlace: &m2, .sum)
        return FeatureMoments(count: n, mean: mean, m2: m2)
    }

    /// The global mean (every rank) and the comoment matrix Σ (x − μ)(x − μ)ᵀ (d × d, full) on `root` only
    /// (nil elsewhere), or on every rank when `root` is nil. `chunkRows` rows are centred per syrk call.
    public static func comoment(_ block: SampleBlock, root: Int?, communicator comm: Communicator,
                                chunkRows: Int = defaultChunkRows) throws -> (count: Int, mean: [Double], comoment: Matrix?) {
        let d = block.features
        let mu = localMean(block)
        var c = Matrix(rows: d, columns: d)
        if block.rows > 0 {
            let chunk = max(1, min(chunkRows, block.rows))
            var centred = [Double](repeating: 0, count: chunk * d)
            var start = 0
            block.values.withUnsafeBufferPointer { x in
                while start < block.rows {
                    let m = min(chunk, block.rows - start)
                    for r in 0 ..< m {
                        let src = (start + r) * d, dst = r * d
                        for f in 0 ..< d { centred[dst + f] = x[src + f] - mu[f] }
                    }
                    centred.withUnsafeBufferPointer { BLAS.syrkTransposed(1, $0, rows: m, columns: d, 1, &c) }
                    start += m
                }
            }
        }
        let (n, mean) = try globalMean(localMean: mu, rows: block.rows, communicator: comm)
        // Pack the upper triangle with this rank's between-rank term nᵣ δδᵀ, reduce, unpack.
        let nr = Double(block.rows)
        let delta = (0 ..< d).map { mu[$0] - mean[$0] }
        var packed = [Double](repeating: 0, count: d * (d + 1) / 2)
        c.elements.withUnsafeBufferPointer { ce in
            var k = 0
            for i in 0 ..< d {
                let w = nr * delta[i]
                for j in i ..< d { packed[k] = ce[i * d + j] + w * delta[j]; k += 1 }
            }
        }
        if let root {
            try comm.reduce(inPlace: &packed, .sum, root: root)
            guard comm.rank == root else { return (n, mean, nil) }
        } else {
            try comm.allreduce(inPlace: &packed, .sum)
        }
        c.elements.withUnsafeMutableBufferPointer { ce in
            var k = 0
            for i in 0 ..< d { for j in i ..< d { ce[i * d + j] = packed[k]; ce[j * d + i] = packed[k]; k += 1 } }
        }
        return (n, mean, c)
    }

    /// The global mean and the comoment matrix Σ (x − μ)(x − μ)ᵀ (d × d, full) on every rank.
    public static func comoment(_ block: SampleBlock, communicator comm: Communicator,
                                chunkRows: Int = defaultChunkRows) throws -> (count: Int, mean: [Double], comoment: Matrix) {
        let (n, mean, c) = try comoment(block, root: nil, communicator: comm, chunkRows: chunkRows)
        return (n, mean, c!)
    }

    /// The sample covariance Σ (x − μ)(x − μ)ᵀ / (n − 1), as numpy's `np.cov(X, rowvar=False)`, on `root`
    /// only (nil elsewhere; every rank when `root` is nil); the mean on every rank.
    public static func covariance(_ block: SampleBlock, root: Int?, communicator comm: Communicator,
                                  chunkRows: Int = defaultChunkRows) throws -> (mean: [Double], matrix: Matrix?) {
        let (n, mean, c) = try comoment(block, root: root, communicator: comm, chunkRows: chunkRows)
        guard n >= 2 else { throw CovarianceError("a covariance needs at least 2 samples, found \(n)") }
        guard var m = c else { return (mean, nil) }
        let scale = 1 / Double(n - 1)
        for k in 0 ..< m.elements.count { m.elements[k] *= scale }
        return (mean, m)
    }

    /// The sample covariance (as `np.cov(X, rowvar=False)`) and the mean, on every rank.
    public static func covariance(_ block: SampleBlock, communicator comm: Communicator,
                                  chunkRows: Int = defaultChunkRows) throws -> (mean: [Double], matrix: Matrix) {
        let (mean, m) = try covariance(block, root: nil, communicator: comm, chunkRows: chunkRows)
        return (mean, m!)
    }

    /// The correlation matrix Cᵢⱼ / √(CᵢᵢCⱼⱼ) of a covariance; a constant feature gets 1 on the
    /// diagonal and 0 elsewhere.
    public static func correlation(fromCovariance c: Matrix) -> Matrix {
        let d = c.rows
        let s = (0 ..< d).map { c[$0, $0] > 0 ? 1 / c[$0, $0].squareRoot() : 0 }
        var r = c
        for i in 0 ..< d {
            for j in 0 ..< d { r[i, j] = c[i, j] * s[i] * s[j] }
            r[i, i] = 1
        }
        return r
    }

    /// The n × n Gram matrix of the centred (and, if `standardize`, unit-variance) samples,
    /// G_ab = (1/d) Σ_f x̃_af x̃_bf, on `root` only (nil elsewhere; every rank when `root` is nil).
    ///
    /// Sample blocks travel around a ring (MPI_Sendrecv): each rank computes its own rows of G against
    /// every block with gemm, then the row blocks are gathered on `root`. A rank other than the root holds
    /// only its rows × n, never n × n; each element is computed once, so no sums depend on the rank count.
    public static func gram(_ block: SampleBlock, standardize: Bool, root: Int?,
                            communicator comm: Communicator) throws -> (moments: FeatureMoments, matrix: Matrix?) {
        let d = block.features
        let moments = try moments(block, communicator: comm)
        let n = moments.count
        let scale = standardize ? moments.standardDeviation.map { $0 > 0 ? 1 / $0 : 0 } : [Double](repeating: 1, count: d)
        var local = Matrix(rows: block.rows, columns: d)
        for r in 0 ..< block.rows { for f in 0 ..< d { local[r, f] = (block.values[r * d + f] - moments.mean[f]) * scale[f] } }
        let counts = try comm.allgatherCounts(block.rows)
        let offsets = counts.indices.map { counts[..<$0].reduce(0, +) }
        // This rank's rows of G, all n columns.
        var rows = Matrix(rows: block.rows, columns: n)
        var travelling = local
        var owner = comm.rank
        for step in 0 ..< comm.size {
            if block.rows > 0 && travelling.rows > 0 {
                var part = Matrix(rows: block.rows, columns: travelling.rows)
                BLAS.gemm(1 / Double(d), local, .none, travelling, .transposed, 0, &part)
                for r in 0 ..< block.rows {
                    for c in 0 ..< travelling.rows { rows[r, offsets[owner] + c] = part[r, c] }
                }
            }
            if step + 1 < comm.size {
                let next = (comm.rank + 1) % comm.size, previous = (comm.rank - 1 + comm.size) % comm.size
                let incomingOwner = (owner + 1) % comm.size
                let received = try comm.sendReceive(travelling.elements, to: previous,
                                                    receiveCount: counts[incomingOwner] * d, from: next)
                travelling = Matrix(rows: counts[incomingOwner], columns: d, elements: received)
                owner = incomingOwner
            }
        }
        // Ranks hold consecutive sample blocks in rank order, so their row blocks concatenate to G.
        if let root {
            guard let all = try comm.gather(rows.elements, root: root) else { return (moments, nil) }
            return (moments, Matrix(rows: n, columns: n, elements: all))
        }
        return (moments, Matrix(rows: n, columns: n, elements: try comm.allgather(rows.elements)))
    }

    /// The n × n Gram matrix (see ``gram(_:standardize:root:communicator:)``) on every rank.
    public static func gram(_ block: SampleBlock, standardize: Bool, communicator comm: Communicator) throws -> (moments: FeatureMoments, matrix: Matrix) {
        let (moments, g) = try gram(block, standardize: standardize, root: nil, communicator: comm)
        return (moments, g!)
    }
}

/// A problem with the data (too few samples, bad values), with the fix where there is one.
public struct CovarianceError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
