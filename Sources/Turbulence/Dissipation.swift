import Foundation

/// The linear dissipative terms of the vorticity equation,
/// ∂ω/∂t = … − ν (−∇²)^n ω − α (−∇²)^m ω, so in Fourier space L(k) = −ν k^{2n} − α k^{2m}.
///
/// `n ≥ 1` is the viscosity order (1: Newtonian, > 1: hyperviscosity); `m ≤ 0` is the
/// large-scale damping order (0: linear drag α, < 0: hypoviscosity). The mean mode k = 0 is
/// never damped (it is zero in a periodic box without mean vorticity).
public struct Dissipation: Sendable, Equatable {
    /// Viscosity coefficient ν ≥ 0.
    public var viscosity: Double
    /// Viscosity order n ≥ 1.
    public var viscosityOrder: Int
    /// Large-scale damping coefficient α ≥ 0.
    public var damping: Double
    /// Damping order m ≤ 0.
    public var dampingOrder: Int

    public init(viscosity: Double, viscosityOrder: Int = 1, damping: Double = 0, dampingOrder: Int = 0) {
        precondition(viscosity >= 0 && damping >= 0 && viscosityOrder >= 1 && dampingOrder <= 0)
        self.viscosity = viscosity
        self.viscosityOrder = viscosityOrder
        self.damping = damping
        self.dampingOrder = dampingOrder
    }

    /// ν k^{2n} at k² = `k2`.
    @inlinable public func viscousRate(k2: Double) -> Double {
        viscosity == 0 ? 0 : viscosity * pow(k2, Double(viscosityOrder))
    }

    /// α k^{2m} at k² = `k2` (0 at k = 0).
    @inlinable public func dampingRate(k2: Double) -> Double {
        (damping == 0 || k2 == 0) ? 0 : damping * pow(k2, Double(dampingOrder))
    }

    /// −L(k) = ν k^{2n} + α k^{2m} ≥ 0.
    @inlinable public func rate(k2: Double) -> Double { viscousRate(k2: k2) + dampingRate(k2: k2) }

    /// The local energy dissipation rate ε(x) of the viscous term −ν(−∇²)^n (what
    /// ``NavierStokes2D/localDissipation(into:scratch:_:spectral:_:_:)`` computes), defined so
    /// that its mean is the spectral viscous energy dissipation Σ ν k^{2n} |û|² for every n:
    ///
    /// - n odd, n = 2m + 1: ε = 2ν S_ij[w] S_ij[w], the strain rate of w = (−∇²)^m u
    ///   (n = 1: the Newtonian ε = 2νS_ijS_ij = ν(4(∂x u)² + (∂y u + ∂x v)²));
    /// - n even, n = 2m: ε = ν |w|², w = (−∇²)^m u.
    ///
    /// (w is divergence-free, so on the periodic box ⟨2S[w]:S[w]⟩ = ⟨|∇w|²⟩ = Σ k²|ŵ|².)
    public var localDissipationDefinition: String {
        let n = viscosityOrder, m = n / 2
        if n == 1 { return "ε = 2νS_ijS_ij = ν(4(∂x u)² + (∂y u + ∂x v)²), mean Σ νk²|û|²" }
        let w = "w = (−∇²)^\(m) u"
        return n % 2 == 1
            ? "ε = 2νS_ij[w]S_ij[w], the strain rate of \(w) (viscosity order n = \(n)), mean Σ νk^{2n}|û|²"
            : "ε = ν|w|², \(w) (viscosity order n = \(n)), mean Σ νk^{2n}|û|²"
    }
}
