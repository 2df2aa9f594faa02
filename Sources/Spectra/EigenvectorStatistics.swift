import Foundation

/// Statistics of the eigenvectors of a spectrum: localisation (inverse participation ratio against rank) and
/// the Porter–Thomas test of the components (docs/rmt.md, "Eigenvectors").
///
/// A GOE eigenvector is uniform on the unit sphere of ℝ^d: each squared component v_i² is Beta(½, (d − 1)/2)
/// (mean 1/d), so d·v_i² → χ²₁ (Porter–Thomas) and E[Σ v_i⁴] = 3/(d + 2). Localised vectors have an IPR of
/// order 1/(localisation length) and components far from χ²₁.
public struct EigenvectorStatistics: Sendable, Equatable {
    /// Vector length d.
    public var dimension: Int
    /// Σᵢ vᵢ⁴ of each unit eigenvector, in rank order (rank 1 = the largest eigenvalue).
    public var inverseParticipationRatio: [Double]
    /// The GOE expectation 3/(d + 2).
    public var goeReference: Double
    /// The bulk eigenvectors pooled by the Porter–Thomas test: ranks (1-based, descending eigenvalue) and components.
    public var bulkRanks: ClosedRange<Int>?
    public var pooledComponents: Int
    /// KS distance of the pooled d·vᵢ² to the exact finite-d law (d·Beta(½, (d − 1)/2)) and its p-value (the
    /// Kolmogorov distribution with Stephens' correction, treating the components as independent), and the KS
    /// distance to the d → ∞ limit χ²₁.
    public var porterThomasKS: Double
    public var porterThomasPValue: Double
    public var chiSquaredKS: Double

    /// `vectors` row-major d × k, column j the unit eigenvector of `values[j]` (ascending, as LAPACK returns
    /// them); `bulk` the column indices pooled by the Porter–Thomas test (see ``bulkColumns(values:zeroTolerance:trimLow:trimHigh:signal:)``).
    public init(values: [Double], vectors: [Double], dimension d: Int, bulk: [Int]) {
        let k = values.count
        precondition(vectors.count == d * k, "eigenvectors: \(vectors.count) elements, expected \(d) × \(k)")
        dimension = d
        goeReference = 3 / Double(d + 2)
        var ipr = [Double](repeating: 0, count: k)
        for i in 0 ..< d {
            for j in 0 ..< k {
                let v = vectors[i * k + j]
                ipr[j] += v * v * v * v
            }
        }
        inverseParticipationRatio = ipr.reversed()
        var pooled: [Double] = []
        pooled.reserveCapacity(bulk.count * d)
        for j in bulk { for i in 0 ..< d { let v = vectors[i * k + j]; pooled.append(Double(d) * v * v) } }
        pooledComponents = pooled.count
        bulkRanks = bulk.isEmpty ? nil : (k - bulk.max()!) ... (k - bulk.min()!)
        if pooled.isEmpty || d < 2 {
            porterThomasKS = .nan; porterThomasPValue = .nan; chiSquaredKS = .nan
            return
        }
        let b = Double(d - 1) / 2, scale = Double(d)
        // Both KS distances in one pass over the sorted components.
        pooled.sort()
        let count = Double(pooled.count)
        var exact = 0.0, limit = 0.0
        for (i, y) in pooled.enumerated() {
            let f = SpecialFunctions.regularizedIncompleteBeta(min(y / scale, 1), a: 0.5, b: b), g = erf((y / 2).squareRoot())
            let below = Double(i) / count, above = Double(i + 1) / count
            exact = max(exact, abs(f - below), abs(f - above))
            limit = max(limit, abs(g - below), abs(g - above))
        }
        porterThomasKS = exact
        chiSquaredKS = limit
        porterThomasPValue = SpecialFunctions.kolmogorovPValue(porterThomasKS, samples: pooled.count)
    }

    /// The columns (ascending order) of the bulk: positive levels above `zeroTolerance` × the largest, less the
    /// `trimLow`/`trimHigh` fractions of them at each end (as ``SpectralAnalysis``) and less the `signal` largest
    /// (the levels above the Marchenko–Pastur threshold).
    public static func bulkColumns(values: [Double], zeroTolerance: Double?, trimLow: Double, trimHigh: Double, signal: Int) -> [Int] {
        guard let top = values.max() else { return [] }
        let cut = zeroTolerance.map { $0 * top }
        let nonzero = values.indices.filter { (j: Int) -> Bool in cut.map { values[j] > $0 } ?? true }
        let n = nonzero.count
        let low = Int((trimLow * Double(n)).rounded(.down))
        let high = max(Int((trimHigh * Double(n)).rounded(.down)), signal)
        guard n - high > low else { return [] }
        return Array(nonzero[low ..< n - high])
    }
}

extension SpecialFunctions {
    /// The regularised incomplete beta function I_x(a, b), x ∈ [0, 1] (the continued fraction of
    /// Numerical Recipes §6.4 by modified Lentz, with the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where it
    /// converges faster); about 1e-14.
    public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x))
        func fraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
            let tiny = 1e-300
            var c = 1.0, d = 1 - (a + b) * x / (a + 1)
            if abs(d) < tiny { d = tiny }
            d = 1 / d
            var h = d
            for m in 1 ... 500 {
                let mm = Double(m)
                var num = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm))
                d = 1 + num * d; if abs(d) < tiny { d = tiny }
                c = 1 + num / c; if abs(c) < tiny { c = tiny }
                d = 1 / d; h *= d * c
                num = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1))
                d = 1 + num * d; if abs(d) < tiny { d = tiny }
                c = 1 + num / c; if abs(c) < tiny { c = tiny }
                d = 1 / d
                let delta = d * c
                h *= delta
                if abs(delta - 1) < 1e-15 { break }
            }
            return h
        }
        if x < (a + 1) / (a + b + 2) { return front * fraction(x, a, b) / a }
        return 1 - front * fraction(1 - x, b, a) / b
    }

    /// The asymptotic p-value of a one-sample KS distance D of n samples: Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²},
    /// λ = (√n + 0.12 + 0.11/√n) D (Stephens 1970; Numerical Recipes §14.3).
    public static func kolmogorovPValue(_ distance: Double, samples n: Int) -> Double {
        guard distance.isFinite, n > 0 else { return .nan }
        let root = Double(n).squareRoot()
        let lambda = (root + 0.12 + 0.11 / root) * distance
        if lambda < 0.2 { return 1 }
        var sum = 0.0, sign = 1.0
        for k in 1 ... 100 {
            let term = sign * exp(-2 * Double(k * k) * lambda * lambda)
            sum += term
            if abs(term) < 1e-17 { break }
            sign = -sign
        }
        return min(max(2 * sum, 0), 1)
    }
}
