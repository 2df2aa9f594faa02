import Foundation

/// A limiting (large-N) eigenvalue density of the Gaussian ensembles, with its exact CDF and quantiles.
///
/// Both laws are parametrised on their support by x = c + r·sin θ, θ ∈ [−π/2, π/2], which removes the
/// square-root edges: the CDF is a closed form in θ and quantiles are found by safeguarded Newton in θ.
public enum LimitingDensity: Sendable, Equatable {
    /// Wigner semicircle (GOE and GUE, β = 1 and 2 share it): density 2√(R² − (x − m)²)/(πR²) on
    /// [m − R, m + R]; mean m, variance R²/4.
    case semicircle(centre: Double, radius: Double)
    /// Marchenko–Pastur law of a white Wishart matrix (real: LOE, β = 1; complex: LUE, β = 2) with
    /// aspect ratio q ∈ (0, 1], scaled to mean μ: density √((b − x)(x − a))/(2π q μ x) on
    /// [a, b] = μ(1 ∓ √q)²; variance qμ².
    case marchenkoPastur(mean: Double, ratio: Double)

    /// Smallest ratio handled in closed form; below it the law is replaced by the semicircle with the same
    /// mean and variance (the q → 0 limit; the closed form loses digits as 1/q).
    public static let smallestRatio = 1e-6

    /// The Marchenko–Pastur law of mean μ and ratio q (clamped to 1), or the semicircle of the same mean and
    /// variance qμ² when q is below ``smallestRatio``.
    public static func wishart(mean: Double, ratio q: Double) -> LimitingDensity {
        q < smallestRatio ? .semicircle(centre: mean, radius: 2 * mean * q.squareRoot()) : .marchenkoPastur(mean: mean, ratio: min(q, 1))
    }

    /// Centre c and half-width r of the support in x = c + r·sin θ.
    var centreAndHalfWidth: (c: Double, r: Double) {
        switch self {
        case .semicircle(let m, let radius): return (m, radius)
        case .marchenkoPastur(let mu, let q): return (mu * (1 + q), mu * 2 * q.squareRoot())
        }
    }

    /// A short name for outputs: "semicircle" or "marchenko-pastur".
    public var name: String {
        switch self {
        case .semicircle: return "semicircle"
        case .marchenkoPastur: return "marchenko-pastur"
        }
    }

    /// The Marchenko–Pastur ratio q (nil for the semicircle).
    public var ratio: Double? {
        if case .marchenkoPastur(_, let q) = self { return q }
        return nil
    }

    /// The support [lower, upper].
    public var support: ClosedRange<Double> {
        let (c, r) = centreAndHalfWidth
        return (c - r) ... (c + r)
    }

    /// The mean of the law.
    public var mean: Double {
        switch self {
        case .semicircle(let m, _): return m
        case .marchenkoPastur(let mu, _): return mu
        }
    }

    /// The variance of the law.
    public var variance: Double {
        switch self {
        case .semicircle(_, let radius): return radius * radius / 4
        case .marchenkoPastur(let mu, let q): return q * mu * mu
        }
    }

    /// The CDF at angle θ ∈ [−π/2, π/2] of the support parametrisation. Semicircle:
    /// ½ + (2θ + sin 2θ)/(2π). Marchenko–Pastur (unit mean, c = 1 + q, r = 2√q): [G(θ) − G(−π/2)]/(2πq),
    /// G(φ) = r cos φ + cφ − 2(1 − q) arctan((c tan(φ/2) + r)/(1 − q)).
    func cumulative(angle theta: Double) -> Double {
        switch self {
        case .semicircle:
            return 0.5 + (2 * theta + sin(2 * theta)) / (2 * Double.pi)
        case .marchenkoPastur(_, let q):
            let c = 1 + q, r = 2 * q.squareRoot()
            func g(_ phi: Double) -> Double {
                let arc = q < 1 ? 2 * (1 - q) * atan((c * tan(phi / 2) + r) / (1 - q)) : 0
                return r * cos(phi) + c * phi - arc
            }
            let edge = -(1 - q.squareRoot()) / (1 + q.squareRoot())
            let g0 = -c * Double.pi / 2 - 2 * (1 - q) * atan(edge)
            return min(max((g(theta) - g0) / (2 * Double.pi * q), 0), 1)
        }
    }

    /// dF/dθ: 2cos²θ/π (semicircle) and 2cos²θ/(π(c + r sin θ)) (Marchenko–Pastur, unit mean).
    func cumulativeSlope(angle theta: Double) -> Double {
        let cos2 = cos(theta) * cos(theta)
        switch self {
        case .semicircle: return 2 * cos2 / Double.pi
        case .marchenkoPastur(_, let q): return 2 * cos2 / (Double.pi * (1 + q + 2 * q.squareRoot() * sin(theta)))
        }
    }

    /// The fraction of the law below x.
    public func cumulative(_ x: Double) -> Double {
        let (c, r) = centreAndHalfWidth
        guard r > 0 else { return x < c ? 0 : 1 }
        if x <= c - r { return 0 }
        if x >= c + r { return 1 }
        return cumulative(angle: asin((x - c) / r))
    }

    /// The density at x.
    public func density(_ x: Double) -> Double {
        let (c, r) = centreAndHalfWidth
        guard r > 0, abs(x - c) < r else { return 0 }
        let root = (r * r - (x - c) * (x - c)).squareRoot()
        switch self {
        case .semicircle: return 2 * root / (Double.pi * r * r)
        case .marchenkoPastur(let mu, let q): return root / (2 * Double.pi * q * mu * x)
        }
    }

    /// The quantiles F⁻¹(p) of ascending probabilities `p` (each in [0, 1]), by safeguarded Newton in θ
    /// started from the previous answer: |F(x) − p| ≤ 1e-13 or θ bracketed to 1e-15.
    public func quantiles(_ p: [Double]) -> [Double] {
        let (c, r) = centreAndHalfWidth
        var theta = -Double.pi / 2
        return p.map { target in
            var lo = -Double.pi / 2, hi = Double.pi / 2
            if target <= 0 { return c - r }
            if target >= 1 { return c + r }
            theta = min(max(theta, lo), hi)
            for _ in 0 ..< 200 {
                let f = cumulative(angle: theta) - target
                if abs(f) <= 1e-13 { break }
                if f < 0 { lo = theta } else { hi = theta }
                if hi - lo <= 1e-15 { break }
                let slope = cumulativeSlope(angle: theta)
                let next = slope > 0 ? theta - f / slope : .nan
                theta = next > lo && next < hi ? next : (lo + hi) / 2
            }
            return c + r * sin(theta)
        }
    }
}
