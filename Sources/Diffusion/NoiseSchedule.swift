#if canImport(Glibc)
import Glibc
#endif

/// The variance schedule β_t of a diffusion model and every per-step coefficient the forward process and the
/// samplers need, computed once in float64 (the products ᾱ_t = Π α_s lose digits in float32 over 1000 steps).
///
/// Time steps are 0-based: index `t` in `0 ..< steps` is step t + 1 of Ho et al. (2020), so x_0 is the data
/// and index t maps x_t to x_{t+1} in the paper's numbering. With ᾱ_{−1} = 1:
///
///     α_t = 1 − β_t,   ᾱ_t = Π_{s ≤ t} α_s,
///     q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I),
///     q(x_{t−1} | x_t, x_0) = N(c0_t x_0 + ct_t x_t, β̃_t I) with
///     β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t),  c0_t = β_t √ᾱ_{t−1} / (1 − ᾱ_t),  ct_t = (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t).
///
/// At t = 0, β̃_0 = 0, c0_0 = 1 and ct_0 = 0: the last denoising step returns the predicted x_0.
public struct NoiseSchedule: Sendable, Equatable {
    /// How β was built (recorded with a model).
    public enum Kind: Sendable, Equatable {
        /// β linear from `start` to `end` over the steps (Ho et al. 2020: 1e-4 to 0.02 over 1000).
        case linear(start: Double, end: Double)
        /// ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T + s)/(1 + s)) π/2), β clipped at `maxBeta` (Nichol & Dhariwal 2021).
        case cosine(offset: Double, maxBeta: Double)
        /// β given explicitly.
        case custom
    }

    /// How β was built.
    public let kind: Kind
    /// β_t.
    public let betas: [Double]
    /// α_t = 1 − β_t.
    public let alphas: [Double]
    /// ᾱ_t = Π_{s ≤ t} α_s.
    public let alphaBars: [Double]
    /// ᾱ_{t−1} (1 at t = 0).
    public let previousAlphaBars: [Double]
    /// √ᾱ_t: the signal coefficient of q(x_t | x_0).
    public let sqrtAlphaBars: [Double]
    /// √(1 − ᾱ_t): the noise coefficient of q(x_t | x_0).
    public let sqrtOneMinusAlphaBars: [Double]
    /// β̃_t: the variance of the posterior q(x_{t−1} | x_t, x_0) (0 at t = 0).
    public let posteriorVariances: [Double]
    /// c0_t: the coefficient of x_0 in the posterior mean.
    public let posteriorMeanCoefficientsOfX0: [Double]
    /// ct_t: the coefficient of x_t in the posterior mean.
    public let posteriorMeanCoefficientsOfXt: [Double]

    /// Number of diffusion steps T.
    public var steps: Int { betas.count }

    /// Linear β from `start` to `end` (inclusive) over `steps` steps; defaults are Ho et al. (2020).
    /// Needs steps ≥ 1 and 0 < start ≤ end < 1.
    public static func linear(steps: Int, start: Double = 1e-4, end: Double = 0.02) throws -> NoiseSchedule {
        try checkSteps(steps)
        guard start.isFinite, end.isFinite, start > 0, start <= end, end < 1 else {
            throw DiffusionError("linear noise schedule: need 0 < beta start <= beta end < 1, got start \(start), end \(end) (fix: the defaults are 1e-4 and 0.02)")
        }
        let betas = (0 ..< steps).map { t in
            steps == 1 ? start : start + (end - start) * Double(t) / Double(steps - 1)
        }
        return try NoiseSchedule(kind: .linear(start: start, end: end), validatedBetas: betas)
    }

    /// Cosine schedule: ᾱ(t) = f(t)/f(0) with f(t) = cos²(((t/T + s)/(1 + s)) π/2), β_t = 1 − ᾱ(t+1)/ᾱ(t) clipped at
    /// `maxBeta`, and ᾱ recomputed as the product of the clipped α (so it is exactly Π α). Needs steps ≥ 1,
    /// 0 ≤ offset ≤ 1 and 0 < maxBeta < 1.
    public static func cosine(steps: Int, offset: Double = 0.008, maxBeta: Double = 0.999) throws -> NoiseSchedule {
        try checkSteps(steps)
        guard offset.isFinite, offset >= 0, offset <= 1 else {
            throw DiffusionError("cosine noise schedule: need 0 <= offset s <= 1, got \(offset) (fix: Nichol & Dhariwal use 0.008)")
        }
        guard maxBeta.isFinite, maxBeta > 0, maxBeta < 1 else {
            throw DiffusionError("cosine noise schedule: need 0 < max beta < 1, got \(maxBeta) (fix: Nichol & Dhariwal clip at 0.999)")
        }
        let betas = (0 ..< steps).map { t in
            min(1 - cosineAlphaBar(Double(t + 1), steps: steps, offset: offset) / cosineAlphaBar(Double(t), steps: steps, offset: offset), maxBeta)
        }
        return try NoiseSchedule(kind: .cosine(offset: offset, maxBeta: maxBeta), validatedBetas: betas)
    }

    /// The unclipped cosine ᾱ at (paper) time τ ∈ [0, T]: f(τ)/f(0).
    public static func cosineAlphaBar(_ tau: Double, steps: Int, offset: Double = 0.008) -> Double {
        func f(_ u: Double) -> Double {
            let c = cos((u / Double(steps) + offset) / (1 + offset) * Double.pi / 2)
            return c * c
        }
        return f(tau) / f(0)
    }

    /// A schedule of explicit β_t, each in (0, 1).
    public init(betas: [Double]) throws {
        try Self.checkSteps(betas.count)
        if let t = betas.firstIndex(where: { !($0 > 0 && $0 < 1) }) {
            throw DiffusionError("noise schedule: beta[\(t)] = \(betas[t]) is outside (0, 1) (fix: every beta must be a variance fraction strictly between 0 and 1)")
        }
        try self.init(kind: .custom, validatedBetas: betas)
    }

    private static func checkSteps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw DiffusionError("noise schedule: the number of diffusion steps must be at least 1, got \(steps) (fix: 1000 is usual)")
        }
    }

    private init(kind: Kind, validatedBetas betas: [Double]) throws {
        if let t = betas.firstIndex(where: { !($0 > 0 && $0 < 1) }) {
            throw DiffusionError("noise schedule: beta[\(t)] = \(betas[t]) is outside (0, 1) (fix: check the schedule's parameters)")
        }
        self.kind = kind
        self.betas = betas
        alphas = betas.map { 1 - $0 }
        var product = 1.0
        var bars: [Double] = [], previous: [Double] = []
        bars.reserveCapacity(betas.count)
        previous.reserveCapacity(betas.count)
        for a in alphas {
            previous.append(product)
            product *= a
            bars.append(product)
        }
        alphaBars = bars
        previousAlphaBars = previous
        sqrtAlphaBars = bars.map { $0.squareRoot() }
        sqrtOneMinusAlphaBars = bars.map { (1 - $0).squareRoot() }
        var variances: [Double] = [], c0: [Double] = [], ct: [Double] = []
        for t in betas.indices {
            let oneMinusBar = 1 - bars[t], oneMinusPrevious = 1 - previous[t]
            variances.append(betas[t] * oneMinusPrevious / oneMinusBar)
            c0.append(betas[t] * previous[t].squareRoot() / oneMinusBar)
            ct.append(oneMinusPrevious * alphas[t].squareRoot() / oneMinusBar)
        }
        posteriorVariances = variances
        posteriorMeanCoefficientsOfX0 = c0
        posteriorMeanCoefficientsOfXt = ct
    }
}
