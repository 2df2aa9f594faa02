import Foundation

/// The three reference spectra every statistic is compared with.
///
/// Poisson: uncorrelated levels (integrable systems, Berry–Tabor). GOE and GUE: the
/// Gaussian orthogonal (β = 1, time-reversal symmetric chaos) and unitary (β = 2)
/// ensembles (Bohigas–Giannoni–Schmit). Formulas are for unfolded levels (unit mean spacing).
public enum ReferenceEnsemble: String, CaseIterable, Sendable {
    case poisson, goe, gue

    /// Mean adjacent gap ratio ⟨r̃⟩ for large matrices: Poisson 2 ln 2 − 1, GOE 0.5307(1), GUE 0.5996(1)
    /// (Atas, Bogomolny, Giraud, Roux, PRL 110, 084101, 2013).
    public var meanGapRatio: Double {
        switch self {
        case .poisson: return 2 * log(2.0) - 1
        case .goe: return 0.5307
        case .gue: return 0.5996
        }
    }

    /// Nearest-neighbour spacing density P(s): e^{−s}; Wigner surmises (π/2) s e^{−πs²/4} (GOE)
    /// and (32/π²) s² e^{−4s²/π} (GUE).
    public func spacingDensity(_ s: Double) -> Double {
        switch self {
        case .poisson: return exp(-s)
        case .goe: return Double.pi / 2 * s * exp(-Double.pi * s * s / 4)
        case .gue: return 32 / (Double.pi * Double.pi) * s * s * exp(-4 * s * s / Double.pi)
        }
    }

    /// The cumulative distribution ∫₀ˢ P(t) dt of ``spacingDensity(_:)``; 0 for s ≤ 0 (spacings are
    /// non-negative; the closed forms would leave [0, 1] there).
    public func spacingCDF(_ s: Double) -> Double {
        guard s > 0 else { return 0 }
        switch self {
        case .poisson: return 1 - exp(-s)
        case .goe: return 1 - exp(-Double.pi * s * s / 4)
        case .gue:
            let a = 4 / Double.pi
            let c = 32 / (Double.pi * Double.pi)
            return c * (Double.pi.squareRoot() / (4 * pow(a, 1.5)) * erf(a.squareRoot() * s) - s * exp(-a * s * s) / (2 * a))
        }
    }

    /// Density of r̃ = min(sₙ, sₙ₊₁)/max(sₙ, sₙ₊₁) on [0, 1]: Poisson 2/(1 + r)²; GOE/GUE the
    /// 3 × 3 surmise 2·(r + r²)^β / (Z_β (1 + r + r²)^{1 + 3β/2}), Z₁ = 8/27, Z₂ = 4π/(81√3) (Atas et al. 2013).
    public func gapRatioDensity(_ r: Double) -> Double {
        switch self {
        case .poisson: return 2 / ((1 + r) * (1 + r))
        case .goe: return 2 * (r + r * r) / (8.0 / 27 * pow(1 + r + r * r, 2.5))
        case .gue: return 2 * pow(r + r * r, 2) / (4 * Double.pi / (81 * 3.0.squareRoot()) * pow(1 + r + r * r, 4))
        }
    }

    /// Level number variance Σ²(L): L for Poisson; Dyson–Mehta for GUE,
    /// (1/π²)[ln 2πL + γ + 1 − cos 2πL − Ci(2πL)] + L[1 − (2/π) Si(2πL)], and GOE,
    /// 2Σ²_GUE(L) + (Si(πL)/π)² − Si(πL)/π (Mehta, Random Matrices, 3rd ed., §16.1).
    public func numberVariance(_ L: Double) -> Double {
        guard L > 0 else { return 0 }
        switch self {
        case .poisson: return L
        case .gue: return ReferenceEnsemble.sigma2GUE(L)
        case .goe:
            let si = SpecialFunctions.sineCosineIntegrals(Double.pi * L).si / Double.pi
            return 2 * ReferenceEnsemble.sigma2GUE(L) + si * si - si
        }
    }

    static func sigma2GUE(_ L: Double) -> Double {
        let x = 2 * Double.pi * L
        let (si, ci) = SpecialFunctions.sineCosineIntegrals(x)
        return (log(x) + SpecialFunctions.eulerGamma + 1 - cos(x) - ci) / (Double.pi * Double.pi)
            + L * (1 - 2 / Double.pi * si)
    }

    /// Spectral rigidity Δ₃(L) = (2/L⁴) ∫₀ᴸ (L³ − 2L²r + r³) Σ²(r) dr (Pandey 1979): L/15 for Poisson;
    /// for GOE/GUE the integral of ``numberVariance(_:)`` by composite Simpson's rule (error < 1e-9).
    public func rigidity(_ L: Double) -> Double {
        guard L > 0 else { return 0 }
        if self == .poisson { return L / 15 }
        let intervals = max(200, Int(40 * L)) & ~1
        let h = L / Double(intervals)
        var sum = 0.0
        for k in 0 ... intervals {
            let r = Double(k) * h
            let w: Double = (k == 0 || k == intervals) ? 1 : (k % 2 == 1 ? 4 : 2)
            let kernel = L * L * L - 2 * L * L * r + r * r * r
            sum += w * kernel * numberVariance(r)
        }
        return 2 / pow(L, 4) * sum * h / 3
    }

    /// Spectral form factor K(τ) in units of the Heisenberg time: 1 (Poisson);
    /// min(τ, 1) (GUE); 2τ − τ ln(1 + 2τ) for τ ≤ 1 and 2 − τ ln((2τ + 1)/(2τ − 1)) beyond (GOE).
    public func formFactor(_ tau: Double) -> Double {
        let t = abs(tau)
        switch self {
        case .poisson: return 1
        case .gue: return min(t, 1)
        case .goe: return t <= 1 ? 2 * t - t * log(1 + 2 * t) : 2 - t * log((2 * t + 1) / (2 * t - 1))
        }
    }
}
