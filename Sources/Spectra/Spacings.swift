import Foundation

/// A histogram on equal bins with its reference curves evaluated at the bin centres.
public struct Histogram: Sendable, Equatable {
    /// Bin edges (bins + 1 values).
    public var edges: [Double]
    /// Probability density per bin (counts / (total · width)); values outside the edges count in the total.
    public var density: [Double]

    /// Bin centres.
    public var centres: [Double] { (0 ..< density.count).map { (edges[$0] + edges[$0 + 1]) / 2 } }

    /// Histogram of `values` over [lower, upper] with `bins` bins, normalised as a density.
    public init(_ values: [Double], lower: Double, upper: Double, bins: Int) {
        let width = (upper - lower) / Double(bins)
        edges = (0 ... bins).map { lower + Double($0) * width }
        var counts = [Double](repeating: 0, count: bins)
        for v in values where v >= lower && v <= upper {
            counts[min(Int((v - lower) / width), bins - 1)] += 1
        }
        let total = Double(max(values.count, 1))
        density = counts.map { $0 / (total * width) }
    }
}

/// Nearest-neighbour spacing statistics of unfolded levels.
public enum Spacings {
    /// Spacings of consecutive unfolded levels, divided by their mean (so ⟨s⟩ = 1 exactly).
    public static func normalised(_ unfolded: [Double]) -> [Double] {
        guard unfolded.count >= 2 else { return [] }
        let s = (1 ..< unfolded.count).map { unfolded[$0] - unfolded[$0 - 1] }
        let mean = s.reduce(0, +) / Double(s.count)
        return mean > 0 ? s.map { $0 / mean } : s
    }

    /// Kolmogorov–Smirnov distance sup |F_emp(s) − F(s)| of the valid spacings (finite, ≥ 0) in `samples`
    /// to the distribution `cdf` of a non-negative variable; NaN when none is valid. With F clamped to
    /// [0, 1] the distance is in [0, 1].
    public static func ksDistance(_ samples: [Double], cdf: (Double) -> Double) -> Double {
        let sorted = samples.filter { $0.isFinite && $0 >= 0 }.sorted()
        guard !sorted.isEmpty else { return .nan }
        let n = Double(sorted.count)
        var d = 0.0
        for (i, s) in sorted.enumerated() {
            let f = min(max(cdf(s), 0), 1)
            d = max(d, abs(f - Double(i) / n), abs(f - Double(i + 1) / n))
        }
        return d
    }

    /// The Brody constant b(β) = Γ((β + 2)/(β + 1))^{β+1}, which makes ⟨s⟩ = 1.
    public static func brodyScale(_ beta: Double) -> Double {
        pow(tgamma((beta + 2) / (beta + 1)), beta + 1)
    }

    /// Brody density P_β(s) = (β + 1) b s^β exp(−b s^{β+1}): Poisson at β = 0, Wigner (GOE) at β = 1.
    public static func brodyDensity(_ s: Double, beta: Double) -> Double {
        let b = brodyScale(beta)
        return (beta + 1) * b * pow(s, beta) * exp(-b * pow(s, beta + 1))
    }

    /// The Brody cumulative distribution 1 − exp(−b s^{β+1}).
    public static func brodyCDF(_ s: Double, beta: Double) -> Double {
        1 - exp(-brodyScale(beta) * pow(max(s, 0), beta + 1))
    }

    /// Maximum-likelihood Brody parameter on [0, 2]: the best point of a grid of step 0.01, then
    /// bisection on the analytic score dℓ/dβ inside the neighbouring grid cells, so β is resolved to
    /// rounding level (not √ε as by comparing likelihoods). Zero spacings are clamped to 1e-12.
    public static func fitBrody(_ spacings: [Double]) -> Double {
        guard !spacings.isEmpty else { return .nan }
        let logs = spacings.map { log(max($0, 1e-12)) }
        let sumLog = logs.reduce(0, +)
        let n = Double(spacings.count)
        func logLikelihood(_ beta: Double) -> Double {
            let b = brodyScale(beta)
            var tail = 0.0
            for l in logs { tail += exp((beta + 1) * l) }
            return n * log((beta + 1) * b) + beta * sumLog - b * tail
        }
        // ℓ'(β) = n[1/(β+1) + (ln b)'] + Σ ln s − b[(ln b)' Σ s^{β+1} + Σ s^{β+1} ln s],
        // (ln b)' = ln Γ(u) − ψ(u)/(β+1), u = (β+2)/(β+1).
        func score(_ beta: Double) -> Double {
            let u = (beta + 2) / (beta + 1)
            let dlnb = lgamma(u) - SpecialFunctions.digamma(u) / (beta + 1)
            let b = brodyScale(beta)
            var t0 = 0.0, t1 = 0.0
            for l in logs { let p = exp((beta + 1) * l); t0 += p; t1 += p * l }
            return n * (1 / (beta + 1) + dlnb) + sumLog - b * (dlnb * t0 + t1)
        }
        var bestBeta = 0.0, bestValue = -Double.infinity
        for k in 0 ... 200 {
            let beta = Double(k) * 0.01
            let v = logLikelihood(beta)
            if v > bestValue { bestValue = v; bestBeta = beta }
        }
        var lo = max(bestBeta - 0.01, 0), hi = min(bestBeta + 0.01, 2)
        if score(lo) <= 0 { return lo }          // maximum at the lower end of the bracket (β = 0)
        if score(hi) >= 0 { return hi }          // at the upper end (β = 2)
        for _ in 0 ..< 80 {
            let mid = (lo + hi) / 2
            if mid <= lo || mid >= hi { break }
            if score(mid) > 0 { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}

/// Adjacent gap ratios r̃ₙ = min(sₙ, sₙ₊₁)/max(sₙ, sₙ₊₁), which need no unfolding (Oganesyan–Huse 2007).
public enum GapRatio {
    /// The ratios of consecutive spacings of ascending `levels`; pairs of zero spacings are skipped.
    public static func ratios(_ levels: [Double]) -> [Double] {
        guard levels.count >= 3 else { return [] }
        var out: [Double] = []
        out.reserveCapacity(levels.count - 2)
        for i in 1 ..< levels.count - 1 {
            let a = levels[i] - levels[i - 1], b = levels[i + 1] - levels[i]
            let hi = max(a, b)
            if hi > 0 { out.append(min(a, b) / hi) }
        }
        return out
    }
}
