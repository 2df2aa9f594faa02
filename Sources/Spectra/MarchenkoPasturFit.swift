import Foundation

/// The white-Wishart null of a positive semi-definite spectrum: eigenvalues λ = l / `normalisation`, l the
/// eigenvalues of W = Σ_{k=1}^{N} x_k x_kᵀ with x_k ~ N(0, σ² I_p) independent (N = `degreesOfFreedom`,
/// p = `dimension`). Centred data of n samples have N = n − 1.
public struct WishartShape: Sendable, Equatable {
    public var degreesOfFreedom: Int
    public var dimension: Int
    public var normalisation: Double

    public init(degreesOfFreedom: Int, dimension: Int, normalisation: Double) {
        self.degreesOfFreedom = degreesOfFreedom
        self.dimension = dimension
        self.normalisation = normalisation
    }

    /// The sample covariance (ddof 1) of n centred samples of d features: N = n − 1, p = d, λ = l/(n − 1).
    public static func covariance(samples n: Int, features d: Int) -> WishartShape {
        WishartShape(degreesOfFreedom: n - 1, dimension: d, normalisation: Double(n - 1))
    }

    /// The Gram matrix (1/d) X̃X̃ᵀ of n centred samples: the same nonzero eigenvalues as X̃ᵀX̃/d, so N = n − 1,
    /// p = d, λ = l/d.
    public static func gram(samples n: Int, features d: Int) -> WishartShape {
        WishartShape(degreesOfFreedom: n - 1, dimension: d, normalisation: Double(d))
    }

    /// The larger and smaller of N and p (the nonzero eigenvalues of W are those of a min × min Wishart
    /// matrix with max degrees of freedom) and the ratio q = min/max ≤ 1.
    var larger: Double { Double(max(degreesOfFreedom, dimension)) }
    var smaller: Double { Double(min(degreesOfFreedom, dimension)) }
    public var ratio: Double { smaller / larger }
}

/// The Marchenko–Pastur law fitted to the bulk of a spectrum, the levels above its upper edge, and the
/// Tracy–Widom test of the largest level (docs/rmt.md, "Signal and noise").
public struct MarchenkoPasturFit: Sendable, Equatable {
    /// The fitted noise variance σ² (per feature, in the units of the data).
    public var sigma2: Double
    /// q = min(N, p)/max(N, p).
    public var ratio: Double
    /// The support [lower, upper] of the fitted law in eigenvalue units: σ²(√max ∓ √min)²/c, for a
    /// covariance with p ≤ N σ²(1 ∓ √γ)², γ = p/N.
    public var lowerEdge: Double
    public var upperEdge: Double
    /// Levels above `upperEdge`: every level beyond the law's support, including the Tracy–Widom
    /// fluctuations of pure noise (about 17% of white spectra have one).
    public var aboveEdge: Int
    /// Levels above `threshold`, the largest-level Tracy–Widom quantile at 1 − `significance`: the signal count.
    public var significant: Int
    public var threshold: Double
    public var significance: Double
    /// The largest level, its Tracy–Widom statistic (l₁ − μ)/σ (Johnstone 2001) and p-value 1 − F₁.
    public var largest: Double
    public var tracyWidomStatistic: Double
    public var tracyWidomPValue: Double
    /// Johnstone's centring μ and scaling σ (in units of l = c·λ/σ²).
    public var tracyWidomCentre: Double
    public var tracyWidomScale: Double
    /// Levels of the bulk the last fit used, and fit iterations (each drops the levels above the edge).
    public var bulkLevels: Int
    public var iterations: Int

    /// Fewest positive levels for a fit (the central 80% quantiles then hold ≥ 8 levels).
    public static let minimumLevels = 10
    /// F₁⁻¹(0.95) ≈ 0.9793, computed once (the default significance; each other level costs a bisection).
    static let tracyWidom95 = TracyWidom.quantile(0.95)
    /// Quantile range of the bulk matched to the law.
    public static let bulkQuantiles = 0.1 ... 0.9

    /// Fits the ascending positive `levels` of a spectrum of Wishart `shape`; nil for fewer than
    /// ``minimumLevels`` levels or an unusable shape (N or p below 2).
    ///
    /// σ² is fitted to the bulk, not to the mean of all levels (spikes inflate it), in two stages. Provisional:
    /// with k levels above the current edge set aside, the i-th of the remaining K − k levels is matched to the
    /// quantile Q((i + ½)/(K − k)) of the unit-mean law over the central quantiles 10%…90%, by least squares
    /// through the origin s = Σ λᵢQᵢ / Σ Qᵢ²; the edge is s(1 + √q)²; repeated until k no longer changes (at
    /// most 50 times, k at most K/2). Final: s = the mean of the levels at or below the Tracy–Widom threshold of
    /// the current s, repeated until that set no longer changes (the bulk's mean is the efficient estimate;
    /// excluding only the significant levels, not every level above the edge, keeps the noise's own edge
    /// fluctuations in it). Then σ² = s·c/max(N, p).
    public static func fit(_ levels: [Double], shape: WishartShape, significance: Double = 0.05) -> MarchenkoPasturFit? {
        let count = levels.count
        guard count >= minimumLevels, shape.degreesOfFreedom >= 2, shape.dimension >= 2, shape.normalisation > 0,
              levels.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        let q = shape.ratio
        let unit = LimitingDensity.wishart(mean: 1, ratio: q)
        let edgeFactor = unit.support.upperBound
        var outliers = 0, scale = 0.0, iterations = 0, bulk = count
        while iterations < 50 {
            iterations += 1
            bulk = count - outliers
            let lo = Int((bulkQuantiles.lowerBound * Double(bulk)).rounded(.down))
            let hi = max(Int((bulkQuantiles.upperBound * Double(bulk)).rounded(.up)), lo + 2)
            let indices = lo ..< min(hi, bulk)
            let quantiles = unit.quantiles(indices.map { (Double($0) + 0.5) / Double(bulk) })
            var num = 0.0, den = 0.0
            for (i, qv) in zip(indices, quantiles) { num += levels[i] * qv; den += qv * qv }
            scale = den > 0 ? num / den : .nan
            let edge = scale * edgeFactor
            let next = min(levels.reduce(0) { $0 + ($1 > edge ? 1 : 0) }, count / 2)
            if next == outliers { break }
            outliers = next
        }
        guard scale > 0, scale.isFinite else { return nil }
        // The quantile match is robust but noisy (a few % on 200 levels: several Tracy–Widom widths). The bulk's
        // mean is the efficient estimate of the scale (relative error √(2/(Np)) for white data) once the signal
        // levels are set aside: those above the Tracy–Widom threshold of the current scale, repeated until stable.
        let (mu, sigma) = TracyWidom.johnstone(samples: shape.larger, dimension: shape.smaller)
        let t = significance == 0.05 ? Self.tracyWidom95 : TracyWidom.quantile(1 - significance)
        func thresholdOf(_ scale: Double) -> Double { scale * (mu + t * sigma) / shape.larger }
        var excluded = -1
        for _ in 0 ..< 50 {
            let limit = thresholdOf(scale)
            let inside = levels.filter { $0 <= limit }
            if inside.count == count - excluded || inside.count < count / 2 { break }
            excluded = count - inside.count
            scale = inside.reduce(0, +) / Double(inside.count)
            iterations += 1
        }
        bulk = count - max(excluded, 0)
        let sigma2 = scale * shape.normalisation / shape.larger
        let top = levels.max()!
        let statistic = (shape.normalisation * top / sigma2 - mu) / sigma
        let threshold = sigma2 * (mu + t * sigma) / shape.normalisation
        let support = unit.support
        return MarchenkoPasturFit(
            sigma2: sigma2, ratio: q, lowerEdge: scale * support.lowerBound, upperEdge: scale * edgeFactor,
            aboveEdge: levels.reduce(0) { $0 + ($1 > scale * edgeFactor ? 1 : 0) },
            significant: levels.reduce(0) { $0 + ($1 > threshold ? 1 : 0) }, threshold: threshold, significance: significance,
            largest: top, tracyWidomStatistic: statistic, tracyWidomPValue: TracyWidom.survival(statistic),
            tracyWidomCentre: mu, tracyWidomScale: sigma, bulkLevels: bulk, iterations: iterations)
    }
}
