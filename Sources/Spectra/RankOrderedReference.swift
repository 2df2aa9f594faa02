import Foundation

/// Spectral entropy H (nats), effective rank e^H and participation ratio (Σλ)²/Σλ² of a spectrum's positive levels.
public struct EntropySummary: Sendable, Equatable {
    /// H = −Σ pᵢ ln pᵢ, pᵢ = λᵢ/Σλ, in nats.
    public var entropy: Double
    /// e^H (Roy & Vetterli 2007).
    public var effectiveRank: Double
    /// (Σλ)²/Σλ².
    public var participationRatio: Double

    /// The three numbers of `levels` (any order; see ``SpectralEntropy/compute(_:)``).
    public init(levels: [Double]) {
        (entropy, effectiveRank, participationRatio) = SpectralEntropy.compute(levels)
    }
}

/// Deterministic Poisson, GOE and GUE references of the rank-ordered spectrum, its power law and its entropy.
///
/// Each reference is an *expected* rank-ordered spectrum with as many positive levels as the measured one:
/// - GOE and GUE: levels at the quantiles of the limiting density matched to the measured spectrum
///   (``matchedDensity(ascending:positiveSemidefinite:ratio:)``); the two coincide at leading order in 1/N.
/// - Poisson: the expected order statistics of independent exponential levels with the measured mean
///   positive level (uncorrelated levels have no intrinsic density; the exponential is the maximum-entropy
///   law on [0, ∞) with a given mean) — ``exponentialOrderStatistics(count:mean:)``.
public struct RankOrderedReference: Sendable, Equatable {
    /// The density whose quantiles are the GOE and GUE levels (nil when no measured level is positive).
    public var density: LimitingDensity?
    /// Positive levels in descending order per ensemble, as many as the measured positive levels (GOE/GUE: none
    /// if the matched semicircle lies entirely at λ ≤ 0 although some measured level is positive).
    public var levels: [ReferenceEnsemble: [Double]]
    /// Power-law fits of each reference over the measured fit's ranks (empty when there is no measured fit).
    public var powerLaw: [ReferenceEnsemble: PowerLawFit]
    /// Entropy, effective rank and participation ratio of each reference.
    public var entropy: [ReferenceEnsemble: EntropySummary]

    /// The references of the ascending spectrum `ascending` (zero modes already dropped). `positiveSemidefinite`
    /// selects Marchenko–Pastur over the semicircle; `ratio` is the Marchenko–Pastur aspect ratio if known;
    /// `fitRanks` the measured power-law range.
    public init(ascending: [Double], positiveSemidefinite: Bool, ratio: Double?, fitRanks: ClosedRange<Int>?) {
        let positive = ascending.filter { $0 > 0 }
        let mean = positive.isEmpty ? 0 : positive.reduce(0, +) / Double(positive.count)
        density = RankOrderedReference.matchedDensity(ascending: ascending, positiveSemidefinite: positiveSemidefinite, ratio: ratio)
        let quantile = density.map { RankOrderedReference.quantileLevels($0, positiveCount: positive.count) } ?? []
        let curves: [ReferenceEnsemble: [Double]] = [
            .poisson: RankOrderedReference.exponentialOrderStatistics(count: positive.count, mean: mean),
            .goe: quantile, .gue: quantile,
        ]
        levels = curves
        powerLaw = fitRanks.map { r in curves.compactMapValues { PowerLaw.fit($0, ranks: r) } } ?? [:]
        entropy = curves.mapValues { EntropySummary(levels: $0) }
    }

    /// The limiting density matched to a measured ascending spectrum, or nil if no level is positive.
    /// Positive semi-definite (covariance, correlation, Gram): Marchenko–Pastur with the mean positive level μ
    /// and ratio q = `ratio` (its inverse if > 1, the nonzero part of a wide matrix), or, if nil, the moment
    /// estimate q = var/μ² of the positive levels, clamped to 1. Otherwise: the semicircle with the mean and
    /// variance (ddof 0) of all levels.
    public static func matchedDensity(ascending: [Double], positiveSemidefinite: Bool, ratio: Double?) -> LimitingDensity? {
        func moments(_ x: [Double]) -> (mean: Double, variance: Double) {
            let m = x.reduce(0, +) / Double(x.count)
            return (m, x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count))
        }
        if positiveSemidefinite {
            let positive = ascending.filter { $0 > 0 }
            guard !positive.isEmpty else { return nil }
            let (mu, variance) = moments(positive)
            let q: Double
            if let r = ratio, r > 0, r.isFinite { q = r > 1 ? 1 / r : r } else { q = variance / (mu * mu) }
            return .wishart(mean: mu, ratio: q)
        }
        guard ascending.contains(where: { $0 > 0 }) else { return nil }
        let (m, variance) = moments(ascending)
        return .semicircle(centre: m, radius: 2 * variance.squareRoot())
    }

    /// `n` positive levels, descending, at the quantiles of `density` restricted to (0, ∞): level i (1-based)
    /// at F⁻¹(F(0) + (1 − F(0))(1 − (i − ½)/n)) — for a law on (0, ∞), F⁻¹(1 − (i − ½)/n).
    public static func quantileLevels(_ density: LimitingDensity, positiveCount n: Int) -> [Double] {
        let below = density.cumulative(0)
        guard n > 0, below < 1 else { return [] }
        let p = (0 ..< n).map { below + (1 - below) * (Double($0) + 0.5) / Double(n) }
        return density.quantiles(p).reversed().filter { $0 > 0 }
    }

    /// Expected order statistics of n independent exponential levels of mean μ, descending:
    /// E[i-th largest] = μ Σ_{k=i}^{n} 1/k (Rényi). They sum to nμ, the measured trace.
    public static func exponentialOrderStatistics(count n: Int, mean: Double) -> [Double] {
        var levels = [Double](repeating: 0, count: n)
        var tail = 0.0
        for k in stride(from: n, through: 1, by: -1) {
            tail += 1 / Double(k)
            levels[k - 1] = mean * tail
        }
        return levels
    }
}
