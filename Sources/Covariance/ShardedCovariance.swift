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
/// Centred properly (never E[xxᵀ] − μμᵀ), in one pass over the samples, block by block
/// (``Datasets/SampleBlockSource``: a file streamed with ``Datasets/SampleBlockStream``, or samples in
/// memory): each block is centred on its own mean and folded into the rank's comoment with BLAS syrk,
/// then merged with the running (count, mean, comoment) by the pairwise formula of Chan, Golub &
/// LeVeque (1979), C ← C + C_b + (n n_b / (n + n_b)) δδᵀ, δ = μ_b − μ (``Accumulator``, which shifts
/// blocks by the running mean in one pass and defers the rank-1 terms); the ranks' parts are merged with the
/// same formula, C = Σᵣ [Cᵣ + nᵣ (μᵣ − μ)(μᵣ − μ)ᵀ], μ = Σᵣ nᵣ μᵣ / n, in one MPI reduction of the packed
/// upper triangle. A rank holds its d × d comoment and one block, whatever the sample count.
///
/// Each matrix is built on one rank (`root`) when only that rank uses it: the others send their parts
/// and hold no result (`nil`). The variants without `root` give the matrix to every rank.
public enum ShardedCovariance {
    /// Default rows per syrk call for samples in memory: bounds the centred copy to `chunkRows × features` doubles.
    public static let defaultChunkRows = 1024

    /// This rank's running count, mean and comoment (upper triangle of the d × d `comoment`) over its blocks, or
    /// without the matrix the per-feature sums of squared deviations `m2`.
    ///
    /// A block is taken in two steps. While it is read, ``shift(_:rows:)`` sees each run of its rows in cache and
    /// shifts it in place by the running mean μ (by the first run's own mean when nothing is folded yet), summing
    /// the shifted values: one pass over the data, which also serves as the finiteness probe of a stream. Then
    /// ``fold(_:)`` adds the whole block with one syrk, S = Σ (x − μ)(x − μ)ᵀ, and one rank-1 term. With δ = μ_b − μ
    /// (the mean of the shifted rows) the block's own comoment is S − m δδᵀ and Chan, Golub & LeVeque's merge adds
    /// (n m/(n + m)) δδᵀ, so C ← C + S − (m²/(n + m)) δδᵀ and μ ← μ + (m/(n + m)) δ.
    ///
    /// Why this is stable: the shift is the mean of everything folded before, so δ is the block mean's departure
    /// from it — a fluctuation of size σ/√m for stationary data, or the data's drift since the start. The term
    /// subtracted, (m/(n + m)) of the m δδᵀ inside S, cancels at most a fraction m/(n + m) of S (all of it only for
    /// the first block, where δ is the first run's mean fluctuation, σ/√(run rows)); the part of S that remains,
    /// (n m/(n + m)) δδᵀ, is the between-block scatter that belongs to C. So the rounding error stays a few ulps of
    /// C + the drift's scatter, whatever the data's offset: a fixed shift c would instead leave n‖μ − c‖² to cancel
    /// at the end, which for a mean that drifts away from c grows without bound (DatasetsStreamPrecisionTests).
    struct Accumulator {
        var count = 0
        /// Running mean of the folded blocks, rounded: the shift of the block being read.
        var mean: [Double]
        /// What the rounding of `mean` left out (running mean = mean + meanResidual, as a double-double): the
        /// shift differs from the mean of the blocks before by this much, up to ulp(μ)/2, which the merge
        /// accounts for (at a mean of 1e8 and unit variance, ignoring it cost 1e-9 of C).
        var meanResidual: [Double]
        var comoment: Matrix
        /// Σ (x − mean)² of each feature (only without the matrix).
        var m2: [Double]
        /// Σ (x − mean) of each feature over the rows of the block being read shifted so far, and their count.
        private var blockSums: [Double]
        private var blockRows = 0
        /// Whether `mean` holds a shift yet (the first run of the first non-empty block sets it).
        private var hasShift = false

        /// Deferred rank-1 corrections, one row of d per block each (``applyPending()``): subtracted (√m δ) and
        /// added (√(n m/(n + m)) (μ_b − μ)).
        private var pending: [Double], pendingAdded: [Double]
        private var pendingRows = 0
        static let pendingLimit = 64

        init(features d: Int, matrix: Bool) {
            mean = [Double](repeating: 0, count: d)
            meanResidual = mean
            blockSums = mean
            m2 = matrix ? [] : mean
            comoment = Matrix(rows: matrix ? d : 0, columns: matrix ? d : 0)
            pending = [Double](repeating: 0, count: matrix ? Accumulator.pendingLimit * d : 0)
            pendingAdded = pending
        }

        /// The running mean, rounded.
        var roundedMean: [Double] { zip(mean, meanResidual).map { $0 + $1 } }

        /// Shifts `rows` samples of the block being read (`values`, in place) by the running mean and adds them to
        /// the block's sums (without the matrix also their squares to `m2`). Returns false when a sum is NaN or ±∞
        /// (a value that is not finite, or an overflow): the stream's finiteness probe (``Datasets/PieceVisitor``).
        mutating func shift(_ values: UnsafeMutableBufferPointer<Double>, rows m: Int) -> Bool {
            let d = mean.count
            guard m > 0, d > 0 else { return true }
            let fullMatrix = comoment.rows == d
            let first = !hasShift
            hasShift = true
            blockRows += m
            // Raw pointers throughout: these loops run over every value read, so they must vectorise.
            return blockSums.withUnsafeMutableBufferPointer { bs in
                mean.withUnsafeMutableBufferPointer { mu in
                    let base = values.baseAddress!, sums = bs.baseAddress!, shift = mu.baseAddress!
                    if first {
                        for f in 0 ..< d { shift[f] = 0 }
                        for r in 0 ..< m { let row = base + r * d; for f in 0 ..< d { shift[f] += row[f] } }
                        let inv = 1 / Double(m)
                        for f in 0 ..< d { shift[f] *= inv }
                    }
                    if fullMatrix {
                        // Four rows per sweep over the features: the shift and the sums are loaded and stored once
                        // for four values (a third less traffic than row by row, the pass runs on L2-resident data).
                        var r = 0
                        while r + 4 <= m {
                            let r0 = base + r * d, r1 = r0 + d, r2 = r1 + d, r3 = r2 + d
                            for f in 0 ..< d {
                                let c = shift[f]
                                let y0 = r0[f] - c, y1 = r1[f] - c, y2 = r2[f] - c, y3 = r3[f] - c
                                r0[f] = y0; r1[f] = y1; r2[f] = y2; r3[f] = y3
                                sums[f] += (y0 + y1) + (y2 + y3)
                            }
                            r += 4
                        }
                        for r in r ..< m {
                            let row = base + r * d
                            for f in 0 ..< d { let y = row[f] - shift[f]; row[f] = y; sums[f] += y }
                        }
                    } else {
                        m2.withUnsafeMutableBufferPointer { q in
                            let squares = q.baseAddress!
                            for r in 0 ..< m {
                                let row = base + r * d
                                for f in 0 ..< d { let y = row[f] - shift[f]; row[f] = y; sums[f] += y; squares[f] += y * y }
                            }
                        }
                    }
                    var total = 0.0
                    for f in 0 ..< d { total += sums[f] }
                    return total.isFinite
                }
            }
        }

        /// Folds the block whose rows ``shift(_:rows:)`` has seen, all of them (see the type's comment).
        mutating func fold(_ block: SampleBlock) {
            let m = block.rows, d = block.features
            guard m > 0 else { return }
            precondition(blockRows == m && d == mean.count, "fold: the block's \(m) rows were not all shifted (\(blockRows))")
            let fullMatrix = comoment.rows == d
            let total = count + m
            let between = Double(count) * Double(m) / Double(total), fraction = Double(m) / Double(total)
            if fullMatrix {
                block.values.withUnsafeBufferPointer { BLAS.syrkTransposed(1, $0, rows: m, columns: d, 1, &comoment) }
            }
            // δ = μ_b − c for the shift c = `mean`, u = μ_b − μ = δ − residual for the running mean μ. The block's
            // comoment is S − m δδᵀ and the merge adds (n m/(n + m)) u uᵀ (with a zero residual these are the
            // single term −(m²/(n + m)) δδᵀ; kept apart so that the shift's rounding does not enter C).
            let inv = 1 / Double(m), rootM = Double(m).squareRoot(), rootBetween = between.squareRoot()
            blockSums.withUnsafeMutableBufferPointer { bs in
                mean.withUnsafeMutableBufferPointer { mu in
                    meanResidual.withUnsafeMutableBufferPointer { lo in
                        if fullMatrix {
                            // Applied later, with other blocks', as two syrks (see `pending`).
                            pending.withUnsafeMutableBufferPointer { p in
                                pendingAdded.withUnsafeMutableBufferPointer { a in
                                    let sub = p.baseAddress! + pendingRows * d, add = a.baseAddress! + pendingRows * d
                                    for f in 0 ..< d { let delta = bs[f] * inv; sub[f] = rootM * delta; add[f] = rootBetween * (delta - lo[f]) }
                                }
                            }
                            pendingRows += 1
                        } else {
                            m2.withUnsafeMutableBufferPointer { q in
                                for f in 0 ..< d { let delta = bs[f] * inv, u = delta - lo[f]; q[f] += between * u * u - Double(m) * delta * delta }
                            }
                        }
                        // μ ← μ + (m/(n + m)) u, carried as mean + residual (the rounding of the sum kept exactly).
                        for f in 0 ..< d {
                            let step = lo[f] + (bs[f] * inv - lo[f]) * fraction
                            let rounded = mu[f] + step
                            lo[f] = step - (rounded - mu[f])
                            mu[f] = rounded
                            bs[f] = 0
                        }
                    }
                }
            }
            count = total
            blockRows = 0
            if pendingRows == Accumulator.pendingLimit { applyPending() }
        }

        /// Folds `block` in one go (shifting it in place, one run), with `matrix` false only the diagonal (`m2`).
        mutating func fold(_ block: inout SampleBlock) {
            let m = block.rows
            guard m > 0 else { return }
            _ = block.values.withUnsafeMutableBufferPointer { shift($0, rows: m) }
            fold(block)
        }

        /// Applies the deferred rank-1 terms: C ← C − PᵀP + AᵀA for the rows P = √m δ and A = √(n m/(n + m)) u of
        /// the blocks folded since the last call. Two syrks of a few rows instead of rank-1 loops over C per block
        /// (which touched the whole d × d matrix once per block: 40% of the non-BLAS time at d = 2048).
        mutating func applyPending() {
            let d = comoment.rows
            if pendingRows > 0 && d > 0 {
                pending.withUnsafeBufferPointer { BLAS.syrkTransposed(-1, $0, rows: pendingRows, columns: d, 1, &comoment) }
                pendingAdded.withUnsafeBufferPointer { BLAS.syrkTransposed(1, $0, rows: pendingRows, columns: d, 1, &comoment) }
            }
            pendingRows = 0
        }
    }

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

    /// Per-feature moments merged over ranks (Chan et al. formula for the diagonal), in one pass over the
    /// blocks of `source` (collective when it is a stream).
    public static func moments<S: SampleBlockSource>(_ source: S, communicator comm: Communicator) throws -> FeatureMoments {
        let d = source.features
        var acc = Accumulator(features: d, matrix: false)
        try source.forEachBlock(communicator: comm, piece: { acc.shift($0, rows: $1) }) { block in acc.fold(block) }
        var m2 = acc.m2
        let localMean = acc.roundedMean
        let (n, mean) = try globalMean(localMean: localMean, rows: acc.count, communicator: comm)
        for f in 0 ..< d { let delta = localMean[f] - mean[f]; m2[f] += Double(acc.count) * delta * delta }
        try comm.allreduce(inPlace: &m2, .sum)
        return FeatureMoments(count: n, mean: mean, m2: m2)
    }

    /// The global mean (every rank) and the comoment matrix Σ (x − μ)(x − μ)ᵀ (d × d, full) on `root` only
    /// (nil elsewhere), or on every rank when `root` is nil, in one pass over the blocks of `source`
    /// (collective when it is a stream; a stream's NaN/Inf refusal comes before the reduction).
    public static func comoment<S: SampleBlockSource>(_ source: S, root: Int?, communicator comm: Communicator) throws
        -> (count: Int, mean: [Double], comoment: Matrix?) {
        var acc = Accumulator(features: source.features, matrix: true)
        try source.forEachBlock(communicator: comm, piece: { acc.shift($0, rows: $1) }) { block in acc.fold(block) }
        acc.applyPending()
        var c = acc.comoment
        acc.comoment = Matrix(rows: 0, columns: 0)        // c is now the only reference: completed in place
        return try complete(count: acc.count, mean: acc.roundedMean, upper: &c, root: root, communicator: comm)
    }

    /// The global count and mean (every rank) and the full comoment on `root` (every rank when `root` is nil)
    /// from this rank's count, mean and upper-triangle comoment `c` (completed in place). On one rank there is nothing to
    /// reduce: the triangle is mirrored in place, without the packed copy the reduction needs (the rank's term
    /// n δδᵀ, δ = μᵣ − μ, is then ~n ulp(μ)², far below the round-off of C, and left out).
    static func complete(count: Int, mean mu: [Double], upper c: inout Matrix, root: Int?, communicator comm: Communicator) throws
        -> (count: Int, mean: [Double], comoment: Matrix?) {
        if comm.size == 1 {
            let (n, mean) = try globalMean(localMean: mu, rows: count, communicator: comm)
            c.symmetrizeFromUpper()
            return (n, mean, c)
        }
        let (n, mean, packed) = try merge(count: count, mean: mu, upper: c, root: root, communicator: comm)
        guard let packed else { return (n, mean, nil) }
        unpack(packed, into: &c)
        return (n, mean, c)
    }

    /// ``comoment(_:root:communicator:)`` of samples in memory: centred on this rank's exact mean (one pass
    /// for it, then `chunkRows` rows at a time copied centred into syrk), so no per-block merge is needed.
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
        return try complete(count: block.rows, mean: mu, upper: &c, root: root, communicator: comm)
    }

    /// Merges the ranks' (count, mean, upper-triangle comoment) by Chan et al.: the global count and mean
    /// (every rank) and the packed upper triangle of the comoment on `root` (nil elsewhere; every rank when
    /// `root` is nil).
    static func merge(count: Int, mean mu: [Double], upper c: Matrix, root: Int?, communicator comm: Communicator) throws
        -> (count: Int, mean: [Double], packed: [Double]?) {
        let d = mu.count
        let (n, mean) = try globalMean(localMean: mu, rows: count, communicator: comm)
        // Pack the upper triangle with this rank's between-rank term nᵣ δδᵀ, reduce.
        let nr = Double(count)
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
        return (n, mean, packed)
    }

    /// Writes a packed upper triangle into both triangles of `c` (d × d).
    static func unpack(_ packed: [Double], into c: inout Matrix) {
        let d = c.rows
        c.elements.withUnsafeMutableBufferPointer { ce in
            packed.withUnsafeBufferPointer { pk in
                var k = 0
                for i in 0 ..< d { for j in i ..< d { ce[i * d + j] = pk[k]; k += 1 } }
            }
        }
        c.symmetrizeFromUpper()
    }

    /// The global mean and the comoment matrix Σ (x − μ)(x − μ)ᵀ (d × d, full) on every rank.
    public static func comoment(_ block: SampleBlock, communicator comm: Communicator,
                                chunkRows: Int = defaultChunkRows) throws -> (count: Int, mean: [Double], comoment: Matrix) {
        let (n, mean, c) = try comoment(block, root: nil, communicator: comm, chunkRows: chunkRows)
        return (n, mean, c!)
    }

    /// The sample covariance Σ (x − μ)(x − μ)ᵀ / (n − 1), as numpy's `np.cov(X, rowvar=False)`, on `root`
    /// only (nil elsewhere; every rank when `root` is nil); the mean on every rank. One pass over `source`.
    public static func covariance<S: SampleBlockSource>(_ source: S, root: Int?, communicator comm: Communicator) throws
        -> (mean: [Double], matrix: Matrix?) {
        var result = try comoment(source, root: root, communicator: comm)
        let (n, mean) = (result.count, result.mean)
        guard n >= 2 else { throw CovarianceError("a covariance needs at least 2 samples, found \(n)") }
        guard var m = result.comoment else { return (mean, nil) }
        result.comoment = nil                                  // m is the only reference: scaled in place
        let scale = 1 / Double(n - 1)
        for k in 0 ..< m.elements.count { m.elements[k] *= scale }
        return (mean, m)
    }

    /// ``covariance(_:root:communicator:)`` of samples in memory, folded `chunkRows` rows at a time.
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
        let scale = gramScale(moments, standardize: standardize)
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
        return (moments, try assembleGram(rows, order: n, root: root, communicator: comm))
    }

    /// The n × n Gram matrix of a dataset streamed from its file, G_ab = (1/d) Σ_f x̃_af x̃_bf of the centred
    /// (and, if `standardize`, unit-variance) samples, on `root` only (nil elsewhere; every rank when
    /// `root` is nil). Collective.
    ///
    /// One pass for the moments; then each rank holds one block A of its own samples at a time and streams
    /// every sample of the matrix past it (``Datasets/SampleBlockStream/everySample``, block B by block B),
    /// computing its rows G[A, B] with gemm. A holds as many samples as fit in the memory of the rank's rows
    /// of G (``gramLeftRows(local:communicator:)``, at least one block), so the file is read ⌈local samples / A⌉
    /// times — once or twice when d ≲ n. Memory per rank: its rows × n, A (at most as large) and one block B
    /// (the root also the gathered n × n); each element is computed once, so no sum depends on the rank count.
    /// Every rank reads the file it was given instead of the samples travelling round a ring of ranks, so
    /// nothing larger than a block is ever in flight.
    public static func gram(streaming local: SampleBlockStream, standardize: Bool, root: Int?,
                            communicator comm: Communicator) throws -> (moments: FeatureMoments, matrix: Matrix?) {
        let d = local.features
        let moments = try moments(local, communicator: comm)
        let n = moments.count
        let scale = gramScale(moments, standardize: standardize)
        func centre(_ block: inout SampleBlock) {
            let m = block.rows
            block.values.withUnsafeMutableBufferPointer { x in
                for r in 0 ..< m { for f in 0 ..< d { x[r * d + f] = (x[r * d + f] - moments.mean[f]) * scale[f] } }
            }
        }
        var rows = Matrix(rows: local.localSamples, columns: n)
        let every = local.everySample
        let leftStream = local.readingBlocks(of: try gramLeftRows(local: local, communicator: comm))
        try leftStream.forEachBlock(communicator: comm) { a in
            centre(&a)
            let rowOffset = a.firstSample - local.firstPosition
            let left = Matrix(rows: a.rows, columns: d, elements: a.values)
            try every.forEachBlock(communicator: comm) { b in
                guard left.rows > 0, b.rows > 0 else { return }
                centre(&b)
                var part = Matrix(rows: left.rows, columns: b.rows)
                BLAS.gemm(1 / Double(d), left, .none, Matrix(rows: b.rows, columns: d, elements: b.values), .transposed, 0, &part)
                rows.elements.withUnsafeMutableBufferPointer { g in
                    part.elements.withUnsafeBufferPointer { p in
                        for r in 0 ..< left.rows {
                            let dst = (rowOffset + r) * n + b.firstSample
                            for c in 0 ..< b.rows { g[dst + c] = p[r * b.rows + c] }
                        }
                    }
                }
            }
        }
        return (moments, try assembleGram(rows, order: n, root: root, communicator: comm))
    }

    /// The factor of each centred feature in the Gram matrix: 1/σ (0 for a constant feature) or 1.
    static func gramScale(_ moments: FeatureMoments, standardize: Bool) -> [Double] {
        standardize ? moments.standardDeviation.map { $0 > 0 ? 1 / $0 : 0 } : [Double](repeating: 1, count: moments.mean.count)
    }

    /// The ranks' row blocks of G gathered on `root` (nil elsewhere; every rank when `root` is nil). Ranks
    /// hold consecutive parts of the samples in rank order, so their row blocks concatenate to G.
    static func assembleGram(_ rows: Matrix, order n: Int, root: Int?, communicator comm: Communicator) throws -> Matrix? {
        if let root {
            guard let all = try comm.gather(rows.elements, root: root) else { return nil }
            return Matrix(rows: n, columns: n, elements: all)
        }
        return Matrix(rows: n, columns: n, elements: try comm.allgather(rows.elements))
    }

    /// Samples of the left block A of the streamed Gram: as many as this rank's rows of G hold values
    /// (n × local samples / values read per sample), at least one stream block, at most the local samples
    /// of the rank with most (the same on every rank, so every rank reads as often). Collective.
    public static func gramLeftRows(local: SampleBlockStream, communicator comm: Communicator) throws -> Int {
        let most = try comm.allreduce(local.localSamples, .max)
        let perSample = max(local.resolved.rawFeatures, local.features, 1)
        let (rowsValues, overflow) = most.multipliedReportingOverflow(by: local.totalSamples)
        let fit = overflow ? most : rowsValues / perSample
        return max(1, min(most, max(local.blockRows, fit)))
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
