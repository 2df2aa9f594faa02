import DistributedFFT
import Foundation

/// Global scalars of a 2D flow, from its spectral state (per unit area, as means over the box).
public struct FlowScalars: Sendable, Equatable {
    /// E = ½⟨|u|²⟩.
    public var energy = 0.0
    /// Z = ½⟨ω²⟩.
    public var enstrophy = 0.0
    /// P = ½⟨|∇ω|²⟩.
    public var palinstrophy = 0.0
    /// Energy dissipation rate by viscosity, Σ ν k^{2n} |ω̂|²/k².
    public var energyDissipationViscous = 0.0
    /// Energy dissipation rate by large-scale damping, Σ α k^{2m} |ω̂|²/k².
    public var energyDissipationDamping = 0.0
    /// Enstrophy dissipation rate by viscosity, Σ ν k^{2n} |ω̂|².
    public var enstrophyDissipationViscous = 0.0
    /// Enstrophy dissipation rate by damping, Σ α k^{2m} |ω̂|².
    public var enstrophyDissipationDamping = 0.0

    public init() {}
}

/// Shell-averaged spectra and spectral fluxes.
///
/// Shell s (s = 0…N/2) holds the modes with s − ½ ≤ |k|/Δk < s + ½ (Δk = 2π/L); spectra are
/// densities: Σ_s E(k_s)·Δk = E. Fluxes through k_s: Π(k_s) = −Σ_{s' ≤ s} T(k_s') with T the
/// nonlinear transfer, positive when energy (enstrophy) goes to smaller scales.
public struct ShellSpectra: Sendable {
    /// Shell wavenumbers k_s = s·Δk.
    public var k: [Double]
    /// E(k).
    public var energy: [Double]
    /// Z(k) = k²E(k).
    public var enstrophy: [Double]
    /// Π_E(k).
    public var energyFlux: [Double]
    /// Π_Z(k).
    public var enstrophyFlux: [Double]
}

extension NavierStokes2D {
    /// The scalars of the current state (collective).
    public func scalars() throws -> FlowScalars {
        let w = omega.pointer, g = grid, d = dissipation
        let s = try g.sumModes(7) { e, out in
            let a2 = w[2 * e] * w[2 * e] + w[2 * e + 1] * w[2 * e + 1]
            let ik2 = g.inverseK2[e], k2 = g.k2[e]
            let nu = d.viscousRate(k2: k2), al = d.dampingRate(k2: k2)
            out[0] = 0.5 * a2 * ik2
            out[1] = 0.5 * a2
            out[2] = 0.5 * a2 * k2
            out[3] = nu * a2 * ik2
            out[4] = al * a2 * ik2
            out[5] = nu * a2
            out[6] = al * a2
        }
        var r = FlowScalars()
        (r.energy, r.enstrophy, r.palinstrophy) = (s[0], s[1], s[2])
        (r.energyDissipationViscous, r.energyDissipationDamping) = (s[3], s[4])
        (r.enstrophyDissipationViscous, r.enstrophyDissipationDamping) = (s[5], s[6])
        return r
    }

    /// Shells of the spectra: N/2 + 1.
    public var shellCount: Int { grid.n / 2 + 1 }

    /// Spectra and fluxes of the current state. `scratch` is a spectral array for the nonlinear
    /// term (evaluated without forcing; ``steadyForcing`` is not touched). Collective; costs one
    /// nonlinear evaluation. A prepared first stage is discarded (``step(dt:)`` prepares it again).
    public func spectra(scratch: FFTArray) throws -> ShellSpectra {
        try nonlinear(omega, into: scratch, includingForcing: false)
        let shells = shellCount, g = grid, w = omega.pointer, t = scratch.pointer
        var local = [Double](repeating: 0, count: 4 * shells)
        for e in 0 ..< g.modeCount {
            let s = Int((g.k2[e].squareRoot() / g.deltaK).rounded())
            guard s < shells else { continue }
            let wt = g.weight[e], ik2 = g.inverseK2[e]
            let a2 = w[2 * e] * w[2 * e] + w[2 * e + 1] * w[2 * e + 1]
            let tr = w[2 * e] * t[2 * e] + w[2 * e + 1] * t[2 * e + 1]
            local[s] += 0.5 * wt * a2 * ik2
            local[shells + s] += 0.5 * wt * a2
            local[2 * shells + s] += wt * tr * ik2
            local[3 * shells + s] += wt * tr
        }
        let sums = try g.communicator.allreduce(local, .sum)
        var result = ShellSpectra(k: (0 ..< shells).map { Double($0) * g.deltaK },
                                  energy: Array(sums[0 ..< shells]).map { $0 / g.deltaK },
                                  enstrophy: Array(sums[shells ..< 2 * shells]).map { $0 / g.deltaK },
                                  energyFlux: [], enstrophyFlux: [])
        var pe = 0.0, pz = 0.0
        for s in 0 ..< shells {
            pe -= sums[2 * shells + s]
            pz -= sums[3 * shells + s]
            result.energyFlux.append(pe)
            result.enstrophyFlux.append(pz)
        }
        return result
    }
}
