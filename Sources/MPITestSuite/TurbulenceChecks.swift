import DistributedFFT
import Foundation
import Parallel
import Turbulence

// The 2D solver on 1–4 ranks (N = 48: 48 rows and 25 spectral columns split unevenly over 3 and
// 4 ranks): every recorded value must agree across rank counts, so forcing, stepping and every
// distributed diagnostic (row exchange of structure functions, box merging of dissipation
// moments) are checked against the single-rank run.
let turbulenceChecks: [MPICheck] = [
    MPICheck("turbulence.ns2d-forced-steps") { comm, t in
        let grid = try SpectralGrid2D(n: 48, communicator: comm)
        let ns = try NavierStokes2D(grid: grid, dissipation: Dissipation(viscosity: 2e-3, damping: 0.05), scheme: .rk4)
        let forcing = try Forcing2D(kind: .correlated, grid: grid, injectionRate: 0.4, kf: 5, bandHalfWidth: 1,
                                    correlationTime: 0.1, seed: 9)
        try InitialCondition2D.random(energy: 0.5, peak: 3, slope: 4, seed: 4).apply(to: ns)
        var injected = 0.0
        for _ in 0 ..< 30 {
            try ns.step(dt: 0.004)
            injected += try forcing.kick(ns.omega, step: ns.stepCount - 1, dt: 0.004).energy
        }
        t.expectClose(injected, 0.4 * 30 * 0.004, rel: 1e-12, "correlated forcing injects ε·dt per step")
        let s = try ns.scalars()
        t.record("scalars", [s.energy, s.enstrophy, s.palinstrophy, s.energyDissipationViscous], tolerance: 1e-11)
        let sp = try ns.spectra(scratch: grid.makeSpectral())
        t.record("spectra", sp.energy + sp.energyFlux, tolerance: 1e-10)
        let u = grid.makeReal(), v = grid.makeReal()
        ns.velocity(intoU: u, v: v)
        let sf = try StructureFunctions2D(grid: grid, separations: [1, 5, 17, 24])
        t.record("structure-functions", try sf.compute(u: u, v: v), tolerance: 1e-10)
        let eps = grid.makeReal()
        ns.localDissipation(into: eps, scratch: grid.makeReal(), grid.makeReal(),
                            spectral: grid.makeSpectral(), grid.makeSpectral(), grid.makeSpectral())
        let (moments, mean) = try DissipationMoments2D(grid: grid).compute(eps)
        t.expectClose(mean, s.energyDissipationViscous, rel: 1e-10, "⟨2νS:S⟩ equals the spectral dissipation rate")
        t.record("dissipation-moments", moments + [mean], tolerance: 1e-10)
    },
    MPICheck("turbulence.ns2d-hyperviscous-local-dissipation") { comm, t in
        // ⟨ε⟩ of the local dissipation equals Σ νk^{2n}|û|² for hyperviscosity too (n = 2, 4).
        let grid = try SpectralGrid2D(n: 48, communicator: comm)
        for order in [2, 4] {
            let ns = try NavierStokes2D(grid: grid, dissipation: Dissipation(viscosity: 1e-6, viscosityOrder: order, damping: 0.05))
            try InitialCondition2D.random(energy: 0.5, peak: 6, slope: 4, seed: 4).apply(to: ns)
            let eps = grid.makeReal()
            ns.localDissipation(into: eps, scratch: grid.makeReal(), grid.makeReal(),
                                spectral: grid.makeSpectral(), grid.makeSpectral(), grid.makeSpectral())
            let (moments, mean) = try DissipationMoments2D(grid: grid).compute(eps)
            t.expectClose(mean, try ns.scalars().energyDissipationViscous, rel: 1e-11, "⟨ε⟩ equals the spectral dissipation, n = \(order)")
            t.record("dissipation-moments-n\(order)", moments + [mean], tolerance: 1e-10)
        }
    },
]
