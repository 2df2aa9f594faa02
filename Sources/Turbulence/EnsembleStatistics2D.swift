import CounterRNG
import Foundation

/// Least-squares fits, bootstrap resampling and distances between histograms, for comparing sets
/// of turbulent fields (pure functions, no MPI).
public enum EnsembleStatistics {
    /// Slope of the least-squares line through (log x, log y) over the points with x in `range`;
    /// NaN with fewer than two such points or a non-positive y among them.
    public static func logLogSlope(x: [Double], y: [Double], range: ClosedRange<Double>) -> Double {
        var lx: [Double] = [], ly: [Double] = []
        for (a, b) in zip(x, y) where range.contains(a) {
            guard a > 0, b > 0 else { return .nan }
            lx.append(log(a)); ly.append(log(b))
        }
        guard lx.count >= 2 else { return .nan }
        let mx = lx.reduce(0, +) / Double(lx.count), my = ly.reduce(0, +) / Double(ly.count)
        var sxy = 0.0, sxx = 0.0
        for (a, b) in zip(lx, ly) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx) }
        return sxx > 0 ? sxy / sxx : .nan
    }

    /// Draw `count` indices of 0..<count with replacement for bootstrap repeat `repeatIndex`:
    /// draw j is ⌊u·count⌋, u the uniform variate j of stream `repeatIndex` of `seed` (the same
    /// resamples on any rank count).
    ///
    /// With `block` > 1, a moving-block bootstrap for time-correlated fields: draw j picks the
    /// start ⌊u·(count − block + 1)⌋ of `block` consecutive indices, and the blocks are
    /// concatenated and cut to `count`. `block` = 1 is the plain bootstrap above.
    public static func bootstrapIndices(count: Int, repeatIndex: Int, seed: UInt64, block: Int = 1) -> [Int] {
        precondition(block >= 1 && block <= max(count, 1), "the block length must be in 1…count")
        let rng = CounterRNG(seed: seed, stream: UInt64(repeatIndex))
        let starts = count - block + 1
        var indices: [Int] = []
        indices.reserveCapacity(count + block)
        var draw: UInt64 = 0
        while indices.count < count {
            let start = min(Int(rng.uniform(at: draw) * Double(starts)), starts - 1)
            indices.append(contentsOf: start ..< start + block)
            draw += 1
        }
        return Array(indices.prefix(count))
    }

    /// Mean over `rows` of the selected rows (each of equal length).
    public static func mean(_ rows: [[Double]], indices: [Int]? = nil) -> [Double] {
        let chosen = indices ?? Array(rows.indices)
        guard let width = rows.first?.count, !chosen.isEmpty else { return [] }
        var m = [Double](repeating: 0, count: width)
        for i in chosen { for c in 0 ..< width { m[c] += rows[i][c] } }
        return m.map { $0 / Double(chosen.count) }
    }

    /// Sample standard deviation (n − 1) of `values`, ignoring NaNs; NaN with fewer than two values.
    public static func standardDeviation(_ values: [Double]) -> Double {
        let v = values.filter { !$0.isNaN }
        guard v.count >= 2 else { return .nan }
        let m = v.reduce(0, +) / Double(v.count)
        return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
    }

    /// Probabilities of a histogram of counts (all zero if it is empty).
    public static func probabilities(_ counts: [Double]) -> [Double] {
        let total = counts.reduce(0, +)
        return total > 0 ? counts.map { $0 / total } : counts.map { _ in 0 }
    }

    /// Jensen–Shannon divergence (natural log) of two histograms on the same bins:
    /// ½KL(p‖m) + ½KL(q‖m), m = ½(p + q); 0 for equal histograms, ln 2 for disjoint ones.
    public static func jensenShannon(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "histograms on different bins")
        let p = probabilities(a), q = probabilities(b)
        var d = 0.0
        for (x, y) in zip(p, q) {
            let m = 0.5 * (x + y)
            if x > 0 { d += 0.5 * x * log(x / m) }
            if y > 0 { d += 0.5 * y * log(y / m) }
        }
        return max(d, 0)
    }

    /// Two-sample Kolmogorov–Smirnov statistic of two histograms on the same bins: the largest
    /// difference of their cumulative distributions at the bin edges (the exact statistic of the
    /// binned values; at most the bin resolution below that of the raw values).
    public static func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "histograms on different bins")
        let p = probabilities(a), q = probabilities(b)
        var fp = 0.0, fq = 0.0, d = 0.0
        for (x, y) in zip(p, q) { fp += x; fq += y; d = max(d, abs(fp - fq)) }
        return d
    }
}
