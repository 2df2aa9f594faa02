import DistributedFFT
import Foundation
import Parallel
import Turbulence
import XCTest

/// turbulence-compare applies ns2d's diagnostics: ``VorticityFieldStatistics`` of a solver's
/// physical vorticity gives what the solver's own (distributed) diagnostics give for the same
/// state — the shell spectrum, the longitudinal structure functions (x and y averaged), the
/// local dissipation's mean and box moments, and the energy.
final class FieldStatisticsMatchNS2DTests: XCTestCase {
    func testPerFieldStatisticsEqualTheSolversDiagnostics() throws {
        let n = 32, separations = [1, 2, 3, 5, 8]
        for (order, nu) in [(1, 2e-3), (4, 1e-9)] {
            let grid = try SpectralGrid2D(n: n, communicator: .world)
            let solver = try NavierStokes2D(grid: grid, dissipation: Dissipation(viscosity: nu, viscosityOrder: order, damping: 0.1))
            try InitialCondition2D.random(energy: 0.5, peak: 4, slope: 4, seed: 23).apply(to: solver)
            for _ in 0 ..< 20 { try solver.step(dt: 0.01) }   // a dealiased, non-Gaussian state

            // The solver's diagnostics.
            let spectra = try solver.spectra(scratch: grid.makeSpectral())
            let u = grid.makeReal(), v = grid.makeReal()
            solver.velocity(intoU: u, v: v)
            let sf = try StructureFunctions2D(grid: grid, separations: separations).compute(u: u, v: v)
            let eps = grid.makeReal()
            solver.localDissipation(into: eps, scratch: grid.makeReal(), grid.makeReal(),
                                    spectral: grid.makeSpectral(), grid.makeSpectral(), grid.makeSpectral())
            let (moments, mean) = try DissipationMoments2D(grid: grid).compute(eps)
            let energy = try solver.scalars().energy

            // The per-field statistics of the same state, from its physical vorticity.
            let real = grid.makeReal()
            solver.physicalVorticity(into: real, scratch: grid.makeSpectral())
            var field = [Double](repeating: 0, count: n * n)
            for i in 0 ..< n { for j in 0 ..< n { field[i * n + j] = real.pointer[i * grid.rowStride + j] } }
            let statistics = try VorticityFieldStatistics(n: n, options: CompareFixtures.options(separations: separations, viscosity: nu, order: order))
            let mine = statistics.statistics(of: field)

            let peak = spectra.energy.max()!
            for (s, (a, b)) in zip(mine.energySpectrum, spectra.energy).enumerated() {
                XCTAssertEqual(a, b, accuracy: 1e-11 * peak, "order \(order): E(k) shell \(s)")
            }
            let ns = separations.count
            func ns2d(_ component: Int, absolute: Bool, p: Int, _ s: Int) -> Double {
                sf[((component * 2 + (absolute ? 1 : 0)) * StructureFunctions2D.orders + (p - 1)) * ns + s]
            }
            for (q, p) in FieldStatistics.orders.enumerated() {
                for s in 0 ..< ns {
                    // Components 0 and 2: longitudinal along x (δu) and along y (δv).
                    let absolute = 0.5 * (ns2d(0, absolute: true, p: p, s) + ns2d(2, absolute: true, p: p, s))
                    let signed = 0.5 * (ns2d(0, absolute: false, p: p, s) + ns2d(2, absolute: false, p: p, s))
                    XCTAssertEqual(mine.structureAbsolute[q][s], absolute, accuracy: 1e-10 * absolute, "order \(order): ⟨|δu_L|^\(p)⟩(\(separations[s]))")
                    let scale = mine.structureAbsolute[q][s]
                    XCTAssertEqual(mine.structureSigned[q][s], signed, accuracy: 1e-10 * scale, "order \(order): ⟨δu_L^\(p)⟩(\(separations[s]))")
                }
            }
            XCTAssertEqual(mine.meanDissipation, mean, accuracy: 1e-10 * mean, "order \(order): ⟨ε⟩")
            XCTAssertEqual(statistics.boxSizes.count * 4, moments.count)
            for b in 0 ..< statistics.boxSizes.count {
                for q in 0 ..< 4 {
                    XCTAssertEqual(mine.dissipationMoments[b][q], moments[b * 4 + q], accuracy: 1e-10 * moments[b * 4 + q],
                                   "order \(order): box \(statistics.boxSizes[b]), q = \(q + 1)")
                }
            }
            XCTAssertEqual(mine.energy, energy, accuracy: 1e-12 * energy)
        }
    }
}
