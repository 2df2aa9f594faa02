import Foundation

/// A fit of the rank-ordered eigenvalues to λ_i ∝ i^{−(1+α)} over ranks i_min…i_max (1-based).
public struct PowerLawFit: Sendable, Equatable {
    /// The exponent α (the log-log slope is −(1 + α)).
    public var alpha: Double
    /// The prefactor c in λ_i ≈ c·i^{−(1+α)}.
    public var prefactor: Double
    /// First and last rank of the fit (1-based, inclusive).
    public var firstRank: Int
    public var lastRank: Int
    /// R² of the straight line in log-log coordinates.
    public var r2: Double
    /// Root-mean-square residual of ln λ.
    public var rmsResidual: Double
    /// Whether the range was chosen automatically.
    public var automatic: Bool
}

/// How the power-law exponent is reported. The fit is the same line in log-log coordinates either way.
public enum PowerLawConvention: String, Sendable, CaseIterable {
    /// λ_i ∝ i^{−(1+α)}: α = −slope − 1 (Cascade's original convention; a flat spectrum has α = −1).
    case onePlusAlpha = "one-plus-alpha"
    /// λ_i ∝ i^{−α}: α = −slope (the literature's convention for covariance and neural-representation spectra).
    case alpha

    /// The exponent in this convention of an α given in the λ_i ∝ i^{−(1+α)} convention (``PowerLawFit/alpha``).
    public func exponent(_ onePlusAlpha: Double) -> Double {
        self == .onePlusAlpha ? onePlusAlpha : onePlusAlpha + 1
    }

    /// The law as written in outputs: "lambda_i ~ i^-(1+alpha)" or "lambda_i ~ i^-alpha".
    public var law: String { self == .onePlusAlpha ? "lambda_i ~ i^-(1+alpha)" : "lambda_i ~ i^-alpha" }
}

/// Rank-ordered eigenvalues and their bulk power law.
public enum PowerLaw {
    /// Fewest ranks of a fit with given ranks (a line through two points has no residual).
    public static let minimumRanks = 3
    /// Fewest positive levels of the automatic range: its smallest window, ranks 1…10, spans a decade and ≥ 8 ranks.
    public static let minimumAutomaticLevels = 10

    /// The positive eigenvalues in descending order (λ₁ ≥ λ₂ ≥ …).
    public static func rankOrdered(_ ascending: [Double]) -> [Double] {
        ascending.reversed().filter { $0 > 0 }
    }

    /// Fits ln λ_i = ln c − (1 + α) ln i over ranks `range` (1-based, inclusive) of `descending`; nil when
    /// the range holds fewer than ``minimumRanks`` levels or equal levels only (R² would be 0/0).
    public static func fit(_ descending: [Double], ranks range: ClosedRange<Int>) -> PowerLawFit? {
        let lo = max(range.lowerBound, 1), hi = min(range.upperBound, descending.count)
        guard hi - lo + 1 >= minimumRanks, descending[lo - 1] != descending[hi - 1] else { return nil }
        let x = (lo ... hi).map { log(Double($0)) }
        let y = (lo ... hi).map { log(descending[$0 - 1]) }
        let l = LeastSquares.line(x[...], y[...])
        return PowerLawFit(alpha: -l.slope - 1, prefactor: exp(l.intercept), firstRank: lo, lastRank: hi,
                           r2: l.r2, rmsResidual: l.rms, automatic: false)
    }

    /// Why no power law is fitted to `descending` over `ranks` (nil: automatic range), or nil when one is.
    public static func undefinedReason(_ descending: [Double], ranks: ClosedRange<Int>?) -> String? {
        let n = descending.count
        if let r = ranks {
            let lo = max(r.lowerBound, 1), hi = min(r.upperBound, n)
            if hi - lo + 1 < minimumRanks {
                return "ranks \(r.lowerBound)…\(r.upperBound) hold \(max(hi - lo + 1, 0)) of the \(n) positive levels, fewer than \(minimumRanks)"
            }
            if descending[lo - 1] == descending[hi - 1] { return "the positive levels of ranks \(lo)…\(hi) are all equal (a flat spectrum: R² is 0/0)" }
            return nil
        }
        if n < minimumAutomaticLevels {
            return "\(n) positive levels, fewer than \(minimumAutomaticLevels) (the automatic range needs a window of at least 8 ranks spanning a decade)"
        }
        if descending.first == descending.last { return "the \(n) positive levels are all equal (a flat spectrum: R² is 0/0)" }
        return nil
    }

    /// Chooses the range automatically: candidate bounds on a geometric grid (ratio 2^{1/4})
    /// from rank 1 to the last positive eigenvalue; windows spanning at least one decade and 8 ranks.
    /// The widest window (in decades) whose R² ≥ `minimumR2` wins, ties going to the higher R²;
    /// if none reaches `minimumR2`, the one-decade window with the highest R². Deterministic. Nil for fewer
    /// than ``minimumAutomaticLevels`` levels: no window of the documented size fits.
    public static func automaticFit(_ descending: [Double], minimumR2: Double) -> PowerLawFit? {
        let n = descending.count
        guard n >= minimumAutomaticLevels else { return nil }
        var bounds: [Int] = []
        var b = 1.0
        while Int(b.rounded()) <= n {
            let v = Int(b.rounded())
            if bounds.last != v { bounds.append(v) }
            b *= pow(2, 0.25)
        }
        if bounds.last != n { bounds.append(n) }
        // Prefix sums of x, y, x², xy, y² make each window's fit O(1).
        var sx = [0.0], sy = [0.0], sxx = [0.0], sxy = [0.0], syy = [0.0]
        for i in 1 ... n {
            let x = log(Double(i)), y = log(descending[i - 1])
            sx.append(sx.last! + x); sy.append(sy.last! + y); sxx.append(sxx.last! + x * x)
            sxy.append(sxy.last! + x * y); syy.append(syy.last! + y * y)
        }
        func stats(_ lo: Int, _ hi: Int) -> Double {
            let m = Double(hi - lo + 1)
            let mx = (sx[hi] - sx[lo - 1]) / m, my = (sy[hi] - sy[lo - 1]) / m
            let vxx = (sxx[hi] - sxx[lo - 1]) / m - mx * mx
            let vxy = (sxy[hi] - sxy[lo - 1]) / m - mx * my
            let vyy = (syy[hi] - syy[lo - 1]) / m - my * my
            guard vxx > 0, vyy > 0 else { return 0 }
            return vxy * vxy / (vxx * vyy)
        }
        var best: (lo: Int, hi: Int, width: Double, r2: Double)? = nil
        var fallback: (lo: Int, hi: Int, r2: Double)? = nil
        for (i, lo) in bounds.enumerated() {
            for hi in bounds[(i + 1)...] where hi >= 10 * lo && hi - lo + 1 >= 8 {
                let r2 = stats(lo, hi)
                let width = log10(Double(hi) / Double(lo))
                if r2 >= minimumR2 {
                    if best == nil || width > best!.width + 1e-12 || (abs(width - best!.width) <= 1e-12 && r2 > best!.r2) {
                        best = (lo, hi, width, r2)
                    }
                }
                if width < 1.1, fallback == nil || r2 > fallback!.r2 { fallback = (lo, hi, r2) }
            }
        }
        // n is always a bound, so the window 1…n (≥ a decade, ≥ 8 ranks) is a candidate: a fallback exists.
        let chosen = best.map { ($0.lo, $0.hi) } ?? fallback.map { ($0.lo, $0.hi) } ?? (1, n)
        guard var result = fit(descending, ranks: chosen.0 ... chosen.1) else { return nil }
        result.automatic = true
        return result
    }
}
