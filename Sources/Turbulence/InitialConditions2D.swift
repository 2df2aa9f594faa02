import CounterRNG
import DistributedFFT
import Foundation
import Parallel

/// Initial vorticity fields.
public enum InitialCondition2D: Sendable {
    /// Rest.
    case rest
    /// Random phases with energy spectrum E(k) ∝ k^s exp(−(s/2)(k/k0)²) (peak at k0), scaled to
    /// total energy `energy`; phases keyed by global wavenumber (same field on any rank count).
    case random(energy: Double, peak: Double, slope: Double, seed: UInt64)
    /// Taylor–Green cells: u = U sin(kx) cos(ky), v = −U cos(kx) sin(ky), ω = 2Uk sin(kx) sin(ky);
    /// an exact steady solution of the Euler equations that decays as exp(−ν(2k²)^n t).
    case taylorGreen(amplitude: Double, wavenumber: Double)
    /// Shear (Kolmogorov) flow u = U sin(k y), ω = −U k cos(k y).
    case shear(amplitude: Double, wavenumber: Double)

    /// Sets `solver`'s state to this field at time 0 (collective).
    public func apply(to solver: NavierStokes2D) throws {
        let g = solver.grid
        let w = solver.omega
        w.zero()
        switch self {
        case .rest:
            break
        case .taylorGreen(let u0, let k):
            let real = g.makeReal()
            g.fillPhysical(real) { x, y in 2 * u0 * k * sin(k * x) * sin(k * y) }
            g.toSpectral(real, w)
        case .shear(let u0, let k):
            let real = g.makeReal()
            g.fillPhysical(real) { _, y in -u0 * k * cos(k * y) }
            g.toSpectral(real, w)
        case .random(let energy, let k0, let slope, let seed):
            for e in 0 ..< g.modeCount where g.dealias[e] == 1 && g.k2[e] > 0 {
                let (mx, my) = g.integerWavenumber(e)
                if mx == 0 && my < 0 { continue }
                let k = g.k2[e].squareRoot()
                let spectrum = pow(k / k0, slope) * exp(-0.5 * slope * (k / k0) * (k / k0))
                // ω̂ amplitude so that a shell of ~2πk/Δk² modes carries E(k)Δk: |ω̂|² ∝ k·E(k).
                let amplitude = (k * spectrum).squareRoot()
                let rng = CounterRNG(seed: seed, stream: UInt64(mx) * UInt64(g.n) + UInt64(my >= 0 ? my : my + g.n))
                let phase = 2 * Double.pi * rng.uniform(at: 0)
                w.pointer[2 * e] = amplitude * cos(phase)
                w.pointer[2 * e + 1] = amplitude * sin(phase)
            }
            g.enforceHermitian(w)
            let current = try solver.scalars().energy
            if current > 0 {
                let f = (energy / current).squareRoot()
                for q in 0 ..< 2 * g.modeCount { w.pointer[q] *= f }
            }
        }
        solver.time = 0
        solver.stepCount = 0
        solver.stateChanged()
    }
}

/// Puts a field given at another resolution onto a grid, by spectral truncation (coarser
/// target) or zero padding (finer target).
public enum SpectralResampling {
    /// Sets `target` (normalised coefficients of `grid`) from the full normalised spectrum of an
    /// M×M field, given in the transposed layout [kx 0…M/2][ky 0…M−1][re, im] on every rank.
    /// Nyquist modes of the source and modes beyond the target's 2/3 limit are dropped.
    public static func load(fullSpectrum source: [Double], size m: Int, into target: FFTArray, grid: SpectralGrid2D) {
        precondition(source.count == (m / 2 + 1) * m * 2, "source spectrum must be (M/2+1)×M complex values")
        target.zero()
        for e in 0 ..< grid.modeCount where grid.dealias[e] == 1 {
            let (mx, my) = grid.integerWavenumber(e)
            guard mx < m / 2, abs(my) < m / 2 || (my == 0) else { continue }
            let i = my >= 0 ? my : my + m
            let q = (mx * m + i) * 2
            target.pointer[2 * e] = source[q]
            target.pointer[2 * e + 1] = source[q + 1]
        }
        grid.enforceHermitian(target)
    }

    /// The full normalised spectrum (layout as in ``load(fullSpectrum:size:into:grid:)``) of a
    /// physical M×M field held whole on this rank (row-major, rows = y). Uses a transform on
    /// this rank alone (collective over `communicator`, which it splits into single ranks).
    public static func spectrum(ofPhysical field: [Double], size m: Int, communicator: Communicator) throws -> [Double] {
        precondition(field.count == m * m, "field must be M×M")
        let own = try communicator.split(color: communicator.rank)
        let plan = try RealFFTPlan(shape: [m, m], communicator: own, effort: .estimate, normalization: .none)
        plan.loadReal(field)
        plan.forward()
        let scale = 1 / Double(m * m)
        return (0 ..< (m / 2 + 1) * m * 2).map { plan.spectralBuffer[$0] * scale }
    }
}
