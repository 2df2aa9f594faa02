import Diffusion
import Foundation

/// Data x_0 ~ N(μ, Σ) with Σ = Σ_k λ_k u_k u_kᵀ (orthonormal u_k), and its exact noise predictor.
///
/// x_t = √ᾱ x_0 + √(1 − ᾱ) ε is jointly Gaussian with ε: E[x_t] = √ᾱ μ, Cov(x_t) = ᾱ Σ + (1 − ᾱ) I,
/// Cov(ε, x_t) = √(1 − ᾱ) I, so the minimum-mean-square-error prediction of ε (the conditional mean) is
/// ε̂(x_t, t) = √(1 − ᾱ) (ᾱ Σ + (1 − ᾱ) I)⁻¹ (x_t − √ᾱ μ) = √(1 − ᾱ) Σ_k u_k u_k·(x_t − √ᾱ μ)/(ᾱ λ_k + 1 − ᾱ);
/// in one dimension ε̂ = (x_t − √ᾱ μ) √(1 − ᾱ)/(ᾱ s² + 1 − ᾱ). It is linear in x_t: a "linear model".
struct GaussianData {
    let mean: [Double]
    let variances: [Double]
    /// basis[k] = u_k.
    let basis: [[Double]]
    let schedule: NoiseSchedule

    var dimension: Int { mean.count }

    /// The covariance Σ.
    var covariance: [[Double]] {
        (0 ..< dimension).map { i in
            (0 ..< dimension).map { j in (0 ..< dimension).reduce(0) { $0 + variances[$1] * basis[$1][i] * basis[$1][j] } }
        }
    }

    /// ε̂ of one sample at t, in float64.
    func epsilon(_ x: ArraySlice<Double>, t: Int) -> [Double] {
        let bar = schedule.alphaBars[t], root = bar.squareRoot(), noise = (1 - bar).squareRoot()
        let centred = x.indices.map { x[$0] - root * mean[$0 - x.startIndex] }
        var out = [Double](repeating: 0, count: dimension)
        for k in 0 ..< dimension {
            let projection = (0 ..< dimension).reduce(0) { $0 + basis[k][$1] * centred[$1] } * noise / (bar * variances[k] + 1 - bar)
            for i in 0 ..< dimension { out[i] += projection * basis[k][i] }
        }
        return out
    }

    /// The exact ε̂ as a noise predictor on batches (the same arithmetic as ``epsilon(_:t:)``, without allocations
    /// per sample: the sampler tests call it T times on thousands of samples in a debug build).
    var predictor: ClosureNoisePredictor {
        let d = dimension, flatBasis = basis.flatMap { $0 }, mean = self.mean, variances = self.variances
        let bars = schedule.alphaBars
        return ClosureNoisePredictor { noisy, timesteps in
            var out = [Float](repeating: 0, count: noisy.count)
            var centred = [Double](repeating: 0, count: d)
            for (b, t) in timesteps.enumerated() {
                let bar = bars[t], root = bar.squareRoot(), noise = (1 - bar).squareRoot()
                for i in 0 ..< d { centred[i] = Double(noisy[b * d + i]) - root * mean[i] }
                for k in 0 ..< d {
                    var projection = 0.0
                    for i in 0 ..< d { projection += flatBasis[k * d + i] * centred[i] }
                    projection *= noise / (bar * variances[k] + 1 - bar)
                    for i in 0 ..< d { out[b * d + i] += Float(projection * flatBasis[k * d + i]) }
                }
            }
            return out
        }
    }

    /// The exact mean and covariance of what a sampler returns with this ε̂, by propagating the first two moments
    /// through its linear recursion, written from the papers independently of the sampler's code. In the
    /// eigenbasis each coordinate y = u_k·x evolves alone (the added noise stays white under a rotation):
    /// y' = A y + B + σ z with ε̂ = κ (y − √ᾱ μ_k), κ = √(1 − ᾱ)/(ᾱ λ_k + 1 − ᾱ), and
    /// DDPM: A = (1 − β κ/√(1 − ᾱ))/√α, B = β κ √ᾱ μ_k/(√(1 − ᾱ) √α), σ² = β or β̃ (0 at t = 0);
    /// DDIM: x̂_0 = (y − √(1 − ᾱ) ε̂)/√ᾱ, y' = √ᾱ' x̂_0 + √(1 − ᾱ' − σ²) ε̂ + σ z,
    ///       σ = η √((1 − ᾱ')/(1 − ᾱ)) √(1 − ᾱ/ᾱ') (ᾱ' = 1 after the last step).
    func samplerMoments(_ method: SamplingMethod) -> (mean: [Double], covariance: [[Double]]) {
        let s = schedule
        var outMean = [Double](repeating: 0, count: dimension), outVar = [Double](repeating: 0, count: dimension)
        for k in 0 ..< dimension {
            let mu = (0 ..< dimension).reduce(0) { $0 + basis[k][$1] * mean[$1] }, lambda = variances[k]
            var m = 0.0, v = 1.0
            func step(_ a: Double, _ b: Double, _ sigma2: Double) { m = a * m + b; v = a * a * v + sigma2 }
            switch method {
            case .ddpm(let variance):
                for t in (0 ..< s.steps).reversed() {
                    let bar = s.alphaBars[t], kappa = (1 - bar).squareRoot() / (bar * lambda + 1 - bar)
                    let c = s.betas[t] / ((1 - bar).squareRoot() * s.alphas[t].squareRoot())
                    let sigma2 = t == 0 ? 0 : (variance == .beta ? s.betas[t] : s.betas[t] * (1 - s.alphaBars[t - 1]) / (1 - bar))
                    step(1 / s.alphas[t].squareRoot() - c * kappa, c * kappa * bar.squareRoot() * mu, sigma2)
                }
            case .ddim(let timesteps, let eta):
                for (i, t) in timesteps.enumerated().reversed() {
                    let bar = s.alphaBars[t], next = i > 0 ? s.alphaBars[timesteps[i - 1]] : 1
                    let kappa = (1 - bar).squareRoot() / (bar * lambda + 1 - bar)
                    let sigma2 = eta * eta * (1 - next) / (1 - bar) * (1 - bar / next)
                    let d = max(0, 1 - next - sigma2).squareRoot()
                    // x̂_0 = (y − √(1−ᾱ) κ (y − √ᾱ μ))/√ᾱ = p y + q;  y' = √ᾱ' (p y + q) + d κ (y − √ᾱ μ) + σ z.
                    let p = (1 - (1 - bar).squareRoot() * kappa) / bar.squareRoot(), q = (1 - bar).squareRoot() * kappa * mu
                    step(next.squareRoot() * p + d * kappa, next.squareRoot() * q - d * kappa * bar.squareRoot() * mu, sigma2)
                }
            }
            outVar[k] = v
            for i in 0 ..< dimension { outMean[i] += m * basis[k][i] }
        }
        let cov = (0 ..< dimension).map { i in
            (0 ..< dimension).map { j in (0 ..< dimension).reduce(0) { $0 + outVar[$1] * basis[$1][i] * basis[$1][j] } }
        }
        return (outMean, cov)
    }
}

/// Sample mean and (n − 1)-normalised covariance of `count` samples of dimension d laid out one after another.
func moments(_ x: [Float], dimension d: Int) -> (mean: [Double], covariance: [[Double]]) {
    let n = x.count / d
    var mean = [Double](repeating: 0, count: d)
    for b in 0 ..< n { for i in 0 ..< d { mean[i] += Double(x[b * d + i]) } }
    mean = mean.map { $0 / Double(n) }
    var cov = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
    for b in 0 ..< n {
        for i in 0 ..< d { for j in 0 ..< d { cov[i][j] += (Double(x[b * d + i]) - mean[i]) * (Double(x[b * d + j]) - mean[j]) } }
    }
    return (mean, cov.map { $0.map { $0 / Double(n - 1) } })
}
