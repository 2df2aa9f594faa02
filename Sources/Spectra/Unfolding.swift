import Foundation

/// How a spectrum is unfolded: mapped so that the levels have unit mean spacing.
public enum UnfoldingMethod: Sendable, Equatable {
    /// Least-squares polynomial of the given degree fitted to the staircase N(λ) (the cumulative
    /// spectral function) over the kept levels, in a Chebyshev basis on the kept range.
    case polynomial(degree: Int)
    /// The semicircle's integrated density N·F(λ/R), with centre and radius R = 2σ from the
    /// spectrum's own mean and variance (GOE/GUE-like spectra).
    case semicircle
    /// The Marchenko–Pastur law for a covariance with aspect ratio q = p/n ≤ 1 (p nonzero
    /// eigenvalues of a sample covariance of n samples); the scale σ² is the mean eigenvalue.
    case marchenkoPastur(ratio: Double)

    /// A short name for outputs: "polynomial-9", "semicircle", "marchenko-pastur".
    public var name: String {
        switch self {
        case .polynomial(let d): return "polynomial-\(d)"
        case .semicircle: return "semicircle"
        case .marchenkoPastur: return "marchenko-pastur"
        }
    }
}

/// Unfolding of a sorted spectrum.
public enum Unfolding {
    /// The unfolded levels of `kept` (ascending), where `kept` are levels `offset ..< offset + kept.count`
    /// of the full ascending spectrum `all` (edge trimming keeps the staircase of the full spectrum).
    public static func unfold(_ all: [Double], kept range: Range<Int>, method: UnfoldingMethod) -> [Double] {
        let kept = Array(all[range])
        guard kept.count >= 2 else { return kept.map { _ in 0 } }
        switch method {
        case .polynomial(let degree):
            let lo = kept.first!, hi = kept.last!
            let half = max((hi - lo) / 2, Double.leastNormalMagnitude), mid = (lo + hi) / 2
            let deg = min(degree, kept.count - 1)
            let m = kept.count
            // Chebyshev columns T_k((x − mid)/half), filled by the three-term recurrence without temporaries.
            var columns = [[Double]](repeating: [Double](repeating: 0, count: m), count: deg + 1)
            for i in 0 ..< m {
                let u = (kept[i] - mid) / half
                var t0 = 1.0, t1 = u
                columns[0][i] = 1
                if deg >= 1 { columns[1][i] = u }
                if deg >= 2 { for k in 2 ... deg { let t2 = 2 * u * t1 - t0; columns[k][i] = t2; t0 = t1; t1 = t2 } }
            }
            // Staircase value at level i (0-based in the full spectrum): i + 1/2, the midpoint of the step.
            let staircase = range.map { Double($0) + 0.5 }
            let c = LeastSquares.solve(columns: columns, staircase)
            // Clenshaw summation of Σ c_k T_k(u).
            return kept.map { x in
                let u = (x - mid) / half
                var b1 = 0.0, b2 = 0.0
                for k in stride(from: deg, through: 1, by: -1) { let b0 = 2 * u * b1 - b2 + c[k]; b2 = b1; b1 = b0 }
                return u * b1 - b2 + c[0]
            }
        case .semicircle:
            let n = Double(all.count)
            let mean = all.reduce(0, +) / n
            let variance = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            let law = LimitingDensity.semicircle(centre: mean, radius: 2 * variance.squareRoot())
            return kept.map { n * law.cumulative($0) }
        case .marchenkoPastur(let q):
            // The mean eigenvalue is σ², the law's mean.
            let n = Double(all.count)
            let law = LimitingDensity.wishart(mean: all.reduce(0, +) / n, ratio: q)
            return kept.map { n * law.cumulative($0) }
        }
    }
}
