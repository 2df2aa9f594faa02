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
    /// A monotone spline of the staircase N(λ): knots at the means of consecutive blocks of `knotLevels`
    /// levels (the block-averaged staircase), joined by the monotone piecewise-cubic Hermite interpolant of
    /// Fritsch & Butland (1984) (see ``MonotoneUnfolding``). Increasing by construction.
    case spline(knotLevels: Int)
    /// The same spline in ln λ: the staircase N(ln λ) smoothed, for spectra spanning decades (positive levels).
    case logarithmic(knotLevels: Int)
    /// Local (moving-window) unfolding: each spacing divided by the mean of the `window` spacings centred on
    /// it, the unfolded levels their running sum. Increasing by construction.
    case local(window: Int)

    /// A short name for outputs: "polynomial-9", "semicircle", "marchenko-pastur", "spline-50", "log-spline-50", "local-50".
    public var name: String {
        switch self {
        case .polynomial(let d): return "polynomial-\(d)"
        case .semicircle: return "semicircle"
        case .marchenkoPastur: return "marchenko-pastur"
        case .spline(let k): return "spline-\(k)"
        case .logarithmic(let k): return "log-spline-\(k)"
        case .local(let w): return "local-\(w)"
        }
    }

    /// The method's parameters as (attribute name, value): `degree`, `knot_levels`, `window` or
    /// `marchenko_pastur_ratio`; none for the semicircle.
    public var parameters: [(name: String, value: Double)] {
        switch self {
        case .polynomial(let d): return [("degree", Double(d))]
        case .semicircle: return []
        case .marchenkoPastur(let q): return [("marchenko_pastur_ratio", q)]
        case .spline(let k), .logarithmic(let k): return [("knot_levels", Double(k))]
        case .local(let w): return [("window", Double(w))]
        }
    }

    /// The variable the staircase is smoothed in: "log-lambda" for ``logarithmic(knotLevels:)``, else "lambda".
    public var variable: String {
        if case .logarithmic = self { return "log-lambda" }
        return "lambda"
    }
}

/// Unfolded levels and the method that produced them.
public struct UnfoldingResult: Sendable, Equatable {
    /// The kept levels unfolded, strictly increasing wherever the levels are.
    public var levels: [Double]
    /// The method used: the one asked for, or a polynomial of lower degree (see ``Unfolding/unfoldChecked(_:kept:method:)``).
    public var method: UnfoldingMethod
    /// Why the method asked for was not used as asked; nil when it was.
    public var fallback: String?
}

/// Unfolding of a sorted spectrum.
public enum Unfolding {
    /// The unfolded levels of `kept` (see ``unfoldChecked(_:kept:method:)``, which also says which method was used).
    public static func unfold(_ all: [Double], kept range: Range<Int>, method: UnfoldingMethod) -> [Double] {
        unfoldChecked(all, kept: range, method: method).levels
    }

    /// The unfolded levels of `kept` (ascending), where `kept` are levels `offset ..< offset + kept.count`
    /// of the full ascending spectrum `all` (edge trimming keeps the staircase of the full spectrum).
    ///
    /// The smooth staircase must increase, or spacings turn negative and every statistic built on them is
    /// meaningless. The semicircle and Marchenko–Pastur CDFs are monotone by construction. A least-squares
    /// polynomial is not: it is checked on the kept levels, and when it decreases anywhere the degree is
    /// lowered until it does not (degree 1 always increases: its slope is cov(λ, i)/var(λ) > 0 for sorted,
    /// not all equal levels). The degree is also capped at m/2 − 1 for m kept levels, so that the fit has at
    /// least as many residual degrees of freedom as coefficients (at m ≤ degree + 1 it would interpolate the
    /// staircase and every spacing would be 1 by construction). Either change is reported in `fallback`.
    public static func unfoldChecked(_ all: [Double], kept range: Range<Int>, method: UnfoldingMethod) -> UnfoldingResult {
        let kept = all[range]
        guard kept.count >= 2 else { return UnfoldingResult(levels: kept.map { _ in 0 }, method: method, fallback: nil) }
        switch method {
        case .polynomial(let degree):
            let cap = max(kept.count / 2 - 1, 1)
            var notes: [String] = []
            if degree > cap { notes.append("\(kept.count) kept levels allow degree ≤ \(cap) (at least as many residual degrees of freedom as coefficients)") }
            var deg = min(degree, cap)
            var levels = polynomial(all, kept: range, degree: deg)
            let first = deg
            while deg > 1 && !isIncreasing(levels, on: kept) {
                deg -= 1
                levels = polynomial(all, kept: range, degree: deg)
            }
            if deg < first {
                notes.append("the degree-\(first) staircase fit decreases on the kept levels (negative spacings); degree \(deg) is the highest that increases")
            }
            let note = notes.isEmpty ? nil : "polynomial-\(degree) unfolding replaced by polynomial-\(deg): " + notes.joined(separator: "; ")
            return UnfoldingResult(levels: levels, method: .polynomial(degree: deg), fallback: note)
        case .semicircle:
            let n = Double(all.count)
            let mean = all.reduce(0, +) / n
            let variance = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            let law = LimitingDensity.semicircle(centre: mean, radius: 2 * variance.squareRoot())
            return UnfoldingResult(levels: kept.map { n * law.cumulative($0) }, method: method, fallback: nil)
        case .marchenkoPastur(let q):
            // The mean eigenvalue is σ², the law's mean.
            let n = Double(all.count)
            let law = LimitingDensity.wishart(mean: all.reduce(0, +) / n, ratio: q)
            return UnfoldingResult(levels: kept.map { n * law.cumulative($0) }, method: method, fallback: nil)
        case .spline(let k):
            return UnfoldingResult(levels: MonotoneUnfolding.spline(all, kept: range, knotLevels: k), method: method, fallback: nil)
        case .logarithmic(let k):
            guard let first = all.first, first > 0 else {
                let note = "log-spline-\(k) unfolding replaced by spline-\(k): ln λ needs positive levels, the smallest is \(all.first ?? .nan)"
                return UnfoldingResult(levels: MonotoneUnfolding.spline(all, kept: range, knotLevels: k), method: .spline(knotLevels: k), fallback: note)
            }
            return UnfoldingResult(levels: MonotoneUnfolding.spline(all.map { log($0) }, kept: range, knotLevels: k), method: method, fallback: nil)
        case .local(let w):
            return UnfoldingResult(levels: MonotoneUnfolding.local(all, kept: range, window: w), method: method, fallback: nil)
        }
    }

    /// Whether `unfolded` is finite and strictly increases wherever the ascending `levels` do (equal levels
    /// unfold to equal values, so their zero spacings are genuine).
    public static func isIncreasing(_ unfolded: [Double], on levels: ArraySlice<Double>) -> Bool {
        guard unfolded.count == levels.count, unfolded.allSatisfy({ $0.isFinite }) else { return false }
        var previous = levels.startIndex
        for (k, i) in levels.indices.enumerated().dropFirst() {
            let step = unfolded[k] - unfolded[k - 1]
            if step < 0 || (step == 0 && levels[i] != levels[previous]) { return false }
            previous = i
        }
        return true
    }

    /// The least-squares polynomial of `degree` fitted to the staircase N(λᵢ) = i + ½ over the kept levels,
    /// evaluated at them (Chebyshev basis on the kept range, Householder QR, Clenshaw summation).
    static func polynomial(_ all: [Double], kept range: Range<Int>, degree deg: Int) -> [Double] {
        let kept = Array(all[range])
        let lo = kept.first!, hi = kept.last!
        let half = max((hi - lo) / 2, Double.leastNormalMagnitude), mid = (lo + hi) / 2
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
        return kept.map { x in
            let u = (x - mid) / half
            var b1 = 0.0, b2 = 0.0
            for k in stride(from: deg, through: 1, by: -1) { let b0 = 2 * u * b1 - b2 + c[k]; b2 = b1; b1 = b0 }
            return u * b1 - b2 + c[0]
        }
    }
}
