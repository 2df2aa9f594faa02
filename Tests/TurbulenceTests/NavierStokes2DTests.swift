import DistributedFFT
import Foundation
import Parallel
import Turbulence
import XCTest

final class NavierStokes2DTests: XCTestCase {
    let world = Communicator.world

    func makeSolver(n: Int, nu: Double, order: Int = 1, alpha: Double = 0, alphaOrder: Int = 0,
                    scheme: TimeScheme = .rk4, box: Double = 2 * .pi) throws -> NavierStokes2D {
        let grid = try SpectralGrid2D(n: n, boxLength: box, communicator: world)
        return try NavierStokes2D(grid: grid, dissipation: Dissipation(viscosity: nu, viscosityOrder: order,
                                                                  damping: alpha, dampingOrder: alphaOrder),
                              scheme: scheme)
    }

    /// Taylor–Green cells decay exactly as exp(−(ν(2k²)^n + α(2k²)^m) t): the nonlinear term
    /// vanishes and the integrating factor makes the linear part exact.
    func testTaylorGreenDecaysAsExactSolution() throws {
        for (scheme, order, box) in [(TimeScheme.rk4, 1, 2 * Double.pi), (.rk2, 2, 2 * Double.pi), (.rk4, 1, 3.0)] {
            let s = try makeSolver(n: 48, nu: 0.05, order: order, alpha: 0.02, scheme: scheme, box: box)
            let k = 2 * Double.pi / box * 2
            try InitialCondition2D.taylorGreen(amplitude: 1.3, wavenumber: k).apply(to: s)
            for _ in 0 ..< 40 { try s.step(dt: 0.01) }
            let rate = 0.05 * pow(2 * k * k, Double(order)) + 0.02
            let expected = 1.3 * 1.3 / 4 * exp(-2 * rate * s.time)
            let real = s.grid.makeReal(), scratch = s.grid.makeSpectral()
            s.physicalVorticity(into: real, scratch: scratch)
            var maxError = 0.0, maxExact = 0.0
            let amp = 2 * 1.3 * k * exp(-rate * s.time)
            for (r, row) in s.grid.rows.enumerated() {
                for c in 0 ..< s.grid.n {
                    let x = Double(c) * s.grid.spacing, y = Double(row) * s.grid.spacing
                    let exact = amp * sin(k * x) * sin(k * y)
                    maxError = max(maxError, abs(real.pointer[r * s.grid.rowStride + c] - exact))
                    maxExact = max(maxExact, abs(exact))
                }
            }
            XCTAssertLessThan(maxError / maxExact, 1e-10, "\(scheme) order \(order) box \(box)")
            XCTAssertEqual(try s.scalars().energy, expected, accuracy: 1e-10 * expected)
        }
    }

    /// Inviscid, unforced: energy and enstrophy are invariants of the truncated system; the
    /// drift comes from time stepping only and falls with dt at least at the scheme's order.
    func testInviscidInvariantsConvergeAtSchemeOrder() throws {
        for scheme in TimeScheme.allCases {
            var drifts: [Double] = []
            // In the asymptotic regime of each scheme (measured: RK4 slopes 5.4, 5.0, 3.8 over
            // 0.02…0.0025; RK2 slopes 1.88, 1.94 over 0.005…0.00125).
            for dt in scheme == .rk4 ? [0.02, 0.01, 0.005, 0.0025] : [0.005, 0.0025, 0.00125] {
                let s = try makeSolver(n: 32, nu: 0, scheme: scheme)
                try InitialCondition2D.random(energy: 0.5, peak: 3, slope: 4, seed: 7).apply(to: s)
                let e0 = try s.scalars()
                let steps = Int((0.4 / dt).rounded())
                for _ in 0 ..< steps { try s.step(dt: dt) }
                let e1 = try s.scalars()
                drifts.append(max(abs(e1.energy - e0.energy) / e0.energy, abs(e1.enstrophy - e0.enstrophy) / e0.enstrophy))
            }
            let slopes = (0 ..< drifts.count - 1).map { log2(drifts[$0] / drifts[$0 + 1]) }
            XCTAssertGreaterThan(slopes.min()!, Double(scheme.order) - 0.3, "\(scheme) drifts \(drifts)")
            XCTAssertLessThan(drifts.last!, scheme == .rk4 ? 1e-10 : 1e-6, "\(scheme) drifts \(drifts)")
        }
    }

    /// The nonlinear term moves energy and enstrophy between scales but conserves both: the
    /// fluxes through the last shell vanish; spectra integrate to the totals.
    func testSpectraSumToTotalsAndFluxesCloseAtZero() throws {
        let s = try makeSolver(n: 48, nu: 0.01)
        try InitialCondition2D.random(energy: 1, peak: 4, slope: 4, seed: 3).apply(to: s)
        let sp = try s.spectra(scratch: s.grid.makeSpectral())
        let sc = try s.scalars()
        XCTAssertEqual(sp.energy.reduce(0, +) * s.grid.deltaK, sc.energy, accuracy: 1e-12)
        XCTAssertEqual(sp.enstrophy.reduce(0, +) * s.grid.deltaK, sc.enstrophy, accuracy: 1e-11)
        XCTAssertLessThan(abs(sp.energyFlux.last!), 1e-12 * sp.energyFlux.map(abs).max()! + 1e-14)
        XCTAssertLessThan(abs(sp.enstrophyFlux.last!), 1e-11 * sp.enstrophyFlux.map(abs).max()! + 1e-13)
        XCTAssertGreaterThan(sp.energyFlux.map(abs).max()!, 1e-4, "a random field must transfer energy")
    }

    /// White-in-time forcing injects ε in expectation, correlated forcing exactly each step.
    func testForcingInjectsPrescribedRate() throws {
        for kind in [ForcingKind.white, .correlated] {
            let s = try makeSolver(n: 32, nu: 0.02, alpha: 0.1)
            let f = try Forcing2D(kind: kind, grid: s.grid, injectionRate: 0.3, kf: 6, bandHalfWidth: 1,
                                  correlationTime: 0.05, seed: 11)
            XCTAssertGreaterThan(f.globalModeCount, 10)
            var injected = 0.0, measured = 0.0
            let dt = 0.005
            for step in 0 ..< 4000 {
                try s.step(dt: dt)
                let before = try s.scalars().energy
                injected += try f.kick(s.omega, step: step, dt: dt).energy
                measured += try s.scalars().energy - before
            }
            let rate = injected / (4000 * dt)
            XCTAssertEqual(measured, injected, accuracy: 1e-9 * abs(injected), "kick bookkeeping")
            XCTAssertEqual(rate, 0.3, accuracy: kind == .correlated ? 1e-9 : 0.02 * 0.3, "\(kind)")
        }
    }

    /// S_p of u = U sin(k y), v = 0: δu along y = 2U cos(k(y + r/2)) sin(kr/2), so
    /// ⟨δu²⟩ = 2U² sin²(kr/2), ⟨δu⁴⟩ = 6U⁴ sin⁴(kr/2), odd orders vanish; x increments vanish.
    func testStructureFunctionsOfShearFlowMatchClosedForm() throws {
        let s = try makeSolver(n: 32, nu: 0)
        try InitialCondition2D.shear(amplitude: 0.7, wavenumber: 2).apply(to: s)
        let u = s.grid.makeReal(), v = s.grid.makeReal()
        s.velocity(intoU: u, v: v)
        let sf = try StructureFunctions2D(grid: s.grid, separations: [1, 3, 5])
        let values = try sf.compute(u: u, v: v)
        let ns = 3
        func value(_ comp: Int, abs: Bool, p: Int, _ sep: Int) -> Double {
            values[((comp * 2 + (abs ? 1 : 0)) * 8 + (p - 1)) * ns + sep]
        }
        for (i, r) in [1, 3, 5].enumerated() {
            let sn = sin(2 * Double(r) * s.grid.spacing / 2)
            XCTAssertEqual(value(3, abs: false, p: 2, i), 2 * 0.49 * sn * sn, accuracy: 1e-12)
            XCTAssertEqual(value(3, abs: false, p: 4, i), 6 * 0.49 * 0.49 * pow(sn, 4), accuracy: 1e-12)
            XCTAssertEqual(value(3, abs: false, p: 3, i), 0, accuracy: 1e-12)
            XCTAssertEqual(value(0, abs: true, p: 2, i), 0, accuracy: 1e-12)
            XCTAssertEqual(value(2, abs: true, p: 1, i), 0, accuracy: 1e-12)
        }
    }

    /// For a uniform dissipation field every coarse-grained moment is 1; for the shear flow the
    /// local dissipation ν(∂y u)² has ⟨ε⟩ = νU²k²/2 and M_2(1) = 3/2.
    func testDissipationMomentsOfShearFlow() throws {
        let s = try makeSolver(n: 32, nu: 0.1)
        try InitialCondition2D.shear(amplitude: 0.7, wavenumber: 2).apply(to: s)
        let eps = s.grid.makeReal()
        s.localDissipation(into: eps, scratch: s.grid.makeReal(), s.grid.makeReal(),
                           spectral: s.grid.makeSpectral(), s.grid.makeSpectral(), s.grid.makeSpectral())
        let dm = DissipationMoments2D(grid: s.grid)
        let (moments, mean) = try dm.compute(eps)
        XCTAssertEqual(mean, 0.1 * 0.49 * 4 / 2, accuracy: 1e-12)
        XCTAssertEqual(mean, try s.scalars().energyDissipationViscous, accuracy: 1e-12)
        XCTAssertEqual(moments[0], 1, accuracy: 1e-12)
        XCTAssertEqual(moments[1], 1.5, accuracy: 1e-12)
        // Boxes of 16 rows average cos² over whole periods: ε_r = ⟨ε⟩ exactly.
        let last = dm.boxSizes.count - 1
        XCTAssertEqual(moments[last * 4 + 1], 1, accuracy: 1e-12)
    }

    /// The local dissipation is defined for the viscous operator in use: its mean equals the
    /// spectral viscous energy dissipation Σ νk^{2n}|ω̂|²/k² for Newtonian viscosity and for
    /// hyperviscosity of odd and even order (the flagship inverse-cascade job has n = 4).
    func testLocalDissipationMeanEqualsSpectralDissipationForEveryOrder() throws {
        for order in [1, 2, 3, 4] {
            let s = try makeSolver(n: 48, nu: 1e-3, order: order, alpha: 0.1)
            try InitialCondition2D.random(energy: 0.5, peak: 6, slope: 4, seed: 17).apply(to: s)
            let eps = s.grid.makeReal()
            s.localDissipation(into: eps, scratch: s.grid.makeReal(), s.grid.makeReal(),
                               spectral: s.grid.makeSpectral(), s.grid.makeSpectral(), s.grid.makeSpectral())
            let (_, mean) = try DissipationMoments2D(grid: s.grid).compute(eps)
            let spectral = try s.scalars().energyDissipationViscous
            XCTAssertGreaterThan(spectral, 0)
            XCTAssertEqual(mean, spectral, accuracy: 1e-12 * spectral, "viscosity order \(order)")
            var positive = true
            for r in 0 ..< s.grid.localRows { for c in 0 ..< s.grid.n where eps.pointer[r * s.grid.rowStride + c] < 0 { positive = false } }
            XCTAssertTrue(positive, "ε ≥ 0 (order \(order))")
            XCTAssertTrue(s.dissipation.localDissipationDefinition.contains(order == 1 ? "2νS_ijS_ij" : "n = \(order)"))
        }
    }

    /// Two solvers with the same Kolmogorov-forced state.
    private func forcedPair(_ scheme: TimeScheme = .rk4) throws -> (NavierStokes2D, NavierStokes2D) {
        let make = { () throws -> NavierStokes2D in
            let s = try self.makeSolver(n: 32, nu: 0.01, alpha: 0.05, scheme: scheme)
            s.steadyForcing = try Forcing2D(kind: .kolmogorov, grid: s.grid, kf: 4, amplitude: 2).steadyTerm()
            try InitialCondition2D.random(energy: 0.5, peak: 3, slope: 4, seed: 21).apply(to: s)
            return s
        }
        return (try make(), try make())
    }

    private func sameBits(_ a: NavierStokes2D, _ b: NavierStokes2D) -> Bool {
        (0 ..< 2 * a.grid.modeCount).allSatisfy { a.omega.pointer[$0].bitPattern == b.omega.pointer[$0].bitPattern }
    }

    /// spectra() between prepareStep() and step() changes neither the step (bit for bit) nor
    /// the steady forcing; nor does any order of prepare, diagnostics and state changes.
    func testDiagnosticsBetweenPrepareAndStepDoNotChangeTheStep() throws {
        for scheme in TimeScheme.allCases {
            let (a, b) = try forcedPair(scheme)
            let forcingBefore = a.steadyForcing!
            let copy = (0 ..< 2 * a.grid.modeCount).map { forcingBefore.pointer[$0] }
            let scratch = a.grid.makeSpectral()
            for _ in 0 ..< 5 {
                try a.prepareStep()
                _ = try a.spectra(scratch: scratch)
                try a.step(dt: 0.01)
                try b.prepareStep()
                try b.step(dt: 0.01)
            }
            XCTAssertTrue(sameBits(a, b), "prepareStep(); spectra(); step() ≡ prepareStep(); step() (\(scheme))")
            XCTAssertTrue(a.steadyForcing === forcingBefore, "spectra keeps the steady forcing")
            XCTAssertEqual((0 ..< 2 * a.grid.modeCount).map { a.steadyForcing!.pointer[$0] }, copy)
            // A state changed after prepareStep() (a kick) is prepared anew by step().
            try a.prepareStep()
            a.omega.pointer[2 * 3] += 1e-3; b.omega.pointer[2 * 3] += 1e-3
            try a.step(dt: 0.01)
            try b.step(dt: 0.01)
            XCTAssertTrue(sameBits(a, b), "a state changed after prepareStep() is prepared again (\(scheme))")
        }
    }

    /// Changing dt every step keeps the integrating factor exact (Taylor–Green decays as the
    /// exact solution over any dt sequence) and gives the same bits as a solver that has only
    /// ever seen each dt from its first step.
    func testChangingTimeStepKeepsExactFactors() throws {
        for scheme in TimeScheme.allCases {
            let s = try makeSolver(n: 32, nu: 0.05, order: 2, alpha: 0.02, scheme: scheme)
            try InitialCondition2D.taylorGreen(amplitude: 1.1, wavenumber: 2).apply(to: s)
            let dts = [0.01, 0.0102, 0.0099, 0.01, 0.01, 0.0123, 0.0121, 0.008]
            for dt in dts { try s.step(dt: dt) }
            let rate = 0.05 * pow(8.0, 2) + 0.02
            let expected = 1.1 * 1.1 / 4 * exp(-2 * rate * s.time)
            XCTAssertEqual(try s.scalars().energy, expected, accuracy: 1e-12 * expected, "\(scheme)")
            // One step with a new dt after many with another equals that step on a fresh solver.
            let a = try forcedPair(scheme).0
            for _ in 0 ..< 3 { try a.step(dt: 0.01) }
            let c = try makeSolver(n: 32, nu: 0.01, alpha: 0.05, scheme: scheme)
            c.steadyForcing = a.steadyForcing
            c.omega.copy(from: a.omega)
            try a.step(dt: 0.0137)
            try c.step(dt: 0.0137)
            XCTAssertTrue(sameBits(a, c), "factors recomputed for a new dt (\(scheme))")
        }
    }

    /// Truncating a field to a coarser grid and padding it back keeps the retained modes.
    func testResamplingKeepsRetainedModes() throws {
        let fine = try makeSolver(n: 48, nu: 0)
        try InitialCondition2D.random(energy: 1, peak: 3, slope: 4, seed: 5).apply(to: fine)
        let real = fine.grid.makeReal(), scratch = fine.grid.makeSpectral()
        fine.physicalVorticity(into: real, scratch: scratch)
        var field: [Double] = []
        for r in 0 ..< fine.grid.localRows { for c in 0 ..< 48 { field.append(real.pointer[r * fine.grid.rowStride + c]) } }
        let spectrum = try SpectralResampling.spectrum(ofPhysical: field, size: 48, communicator: world)
        let coarse = try makeSolver(n: 96, nu: 0)
        SpectralResampling.load(fullSpectrum: spectrum, size: 48, into: coarse.omega, grid: coarse.grid)
        XCTAssertEqual(try coarse.scalars().energy, try fine.scalars().energy, accuracy: 1e-12)
        XCTAssertEqual(try coarse.scalars().enstrophy, try fine.scalars().enstrophy, accuracy: 1e-11)
    }
}
