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
}
