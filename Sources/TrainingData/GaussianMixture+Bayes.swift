import COpenBLAS
import Foundation

/// The standard normal distribution function Φ(t) = erfc(−t/√2)/2 (accurate in both tails).
public func standardNormalCDF(_ t: Double) -> Double { 0.5 * erfc(-t / 2.0.squareRoot()) }

extension GaussianMixture {
    /// The Bayes-optimal decision statistic, the quadratic-discriminant log-likelihood ratio
    ///
    ///     LLR(x) = log N(x; m₁, Σ₁) − log N(x; m₀, Σ₀) + log(p₁/p₀)
    ///            = −½ (q₁ − q₀) − ½ (log det Σ₁ − log det Σ₀) + log(p₁/p₀),
    ///     q_c = (x − m_c)ᵀ Σ_c⁻¹ (x − m_c) = Σ_k ((U_cᵀ(x − m_c))_k)² / λ_c,k,
    ///
    /// for `rows` float64 samples `x` (rows × d) into `llr`; decide class 1 when LLR > 0. Float64, one
    /// dgemm per class (the eigendecompositions make Σ⁻¹ and det free).
    func logLikelihoodRatios(_ x: UnsafePointer<Double>, rows n: Int, into llr: UnsafeMutablePointer<Double>,
                             workspace w: MixtureWorkspace) {
        let d = dimension
        guard n > 0 else { return }
        w.reserve(rows: n, dimension: d)
        for c in 0 ..< 2 {
            let m = means[c], inverse = eigenvalues[c].map { 1 / $0 }
            for r in 0 ..< n { for i in 0 ..< d { w.packed[r * d + i] = x[r * d + i] - m[i] } }
            bases[c].elements.withUnsafeBufferPointer { u in
                // product[r, k] = Σ_i (x − m)[r, i] · U[i, k]
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(d), blasint(d),
                            1, w.packed, blasint(d), u.baseAddress, blasint(d), 0, w.product, blasint(d))
            }
            for r in 0 ..< n {
                var q = 0.0
                let y = w.product + r * d
                for k in 0 ..< d { q += y[k] * y[k] * inverse[k] }
                if c == 0 { w.quadratic[r] = q } else {
                    llr[r] = -0.5 * (q - w.quadratic[r]) - 0.5 * (logDeterminants[1] - logDeterminants[0]) + log(prior1 / (1 - prior1))
                }
            }
        }
    }

    /// LLR of each row of `x` (rows × d, row-major): see the buffer version.
    public func logLikelihoodRatios(_ x: [Double]) -> [Double] {
        precondition(x.count % dimension == 0, "logLikelihoodRatios: \(x.count) values are not rows of \(dimension)")
        let n = x.count / dimension
        var out = [Double](repeating: 0, count: n)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { logLikelihoodRatios(xp.baseAddress!, rows: n, into: $0.baseAddress!, workspace: MixtureWorkspace()) }
        }
        return out
    }

    /// The Mahalanobis distance Δ = (μᵀ Σ₀⁻¹ μ)^{1/2} of the means, μ = m₁ − m₀, under class 0's covariance.
    public var mahalanobisDistance: Double {
        let d = dimension, u = bases[0]
        var q = 0.0
        for k in 0 ..< d {
            var p = 0.0
            for i in 0 ..< d { p += u[i, k] * (means[1][i] - means[0][i]) }
            q += p * p / eigenvalues[0][k]
        }
        return q.squareRoot()
    }

    /// The Bayes-optimal accuracy in closed form when Σ₀ = Σ₁ = Σ (then LLR is linear in x and normal
    /// under each class: N(±Δ²/2 + L, Δ²) with L = log(p₁/p₀)):
    ///
    ///     accuracy = p₁ Φ(Δ/2 + L/Δ) + p₀ Φ(Δ/2 − L/Δ),   which is Φ(Δ/2) for equal priors,
    ///
    /// and max(p₀, p₁) when Δ = 0. nil when the covariances differ (``covarianceDifference`` says how):
    /// the quadratic discriminant's accuracy has no closed form then.
    public var closedFormBayesAccuracy: Double? {
        guard covariancesAreEqual else { return nil }
        let delta = mahalanobisDistance, p1 = prior1, p0 = 1 - prior1
        guard delta > 0 else { return max(p0, p1) }
        let l = log(p1 / p0)
        return p1 * standardNormalCDF(delta / 2 + l / delta) + p0 * standardNormalCDF(delta / 2 - l / delta)
    }

    /// Monte-Carlo Bayes accuracy on samples with keys `first ..< first + count`: the fraction where
    /// sign(LLR) gives the true label, and its standard error (a(1 − a)/n)^{1/2}. Drawn in chunks of
    /// `chunk` rows.
    public func monteCarloBayesAccuracy(first: Int, count: Int, chunk: Int = 4096) -> (accuracy: Double, standardError: Double) {
        precondition(count > 0 && chunk > 0, "monteCarloBayesAccuracy needs samples")
        let w = MixtureWorkspace(), rows = min(chunk, count)
        let x = UnsafeMutablePointer<Double>.allocate(capacity: rows * dimension)
        let labels = UnsafeMutablePointer<Int32>.allocate(capacity: rows)
        let keys = UnsafeMutablePointer<Int>.allocate(capacity: rows)
        let llr = UnsafeMutablePointer<Double>.allocate(capacity: rows)
        defer { x.deallocate(); labels.deallocate(); keys.deallocate(); llr.deallocate() }
        var correct = 0, done = 0
        while done < count {
            let n = min(rows, count - done)
            for r in 0 ..< n { keys[r] = first + done + r }
            draw(keys: UnsafeBufferPointer(start: keys, count: n), into: x, labels: labels, workspace: w)
            logLikelihoodRatios(x, rows: n, into: llr, workspace: w)
            for r in 0 ..< n where (llr[r] > 0 ? 1 : 0) == labels[r] { correct += 1 }
            done += n
        }
        let a = Double(correct) / Double(count)
        return (a, (a * (1 - a) / Double(count)).squareRoot())
    }
}
