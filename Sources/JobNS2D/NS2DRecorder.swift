import DistributedFFT
import Foundation
import JobKit
import Turbulence

/// Computes the diagnostics of an ns2d run and records them in its ``MetricsLog``, with
/// the running sums of the averaging window. Owns its scratch arrays (made once).
final class NS2DRecorder {
    let solver: NS2DSolverParts
    let log: MetricsLog
    let structure: StructureFunctions2D
    let moments: DissipationMoments2D
    let histogram: StandardisedHistogram
    let window: ClosedRange<Double>
    private let realA: FFTArray, realB: FFTArray, realC: FFTArray, realD: FFTArray
    private let specA: FFTArray, specB: FFTArray, specC: FFTArray

    init(solver: NS2DSolverParts, log: MetricsLog, separations: [Int], pdfBins: Int, pdfRange: Double,
         window: ClosedRange<Double>) throws {
        self.solver = solver
        self.log = log
        let g = solver.ns.grid
        structure = try StructureFunctions2D(grid: g, separations: separations)
        moments = DissipationMoments2D(grid: g)
        histogram = StandardisedHistogram(bins: pdfBins, range: pdfRange)
        self.window = window
        realA = g.makeReal(); realB = g.makeReal(); realC = g.makeReal(); realD = g.makeReal()
        specA = g.makeSpectral(); specB = g.makeSpectral(); specC = g.makeSpectral()
        if log.entries["spectra/k"] == nil {
            log.setFixed("spectra/k", (0 ..< solver.ns.shellCount).map { Double($0) * g.deltaK },
                         note: "shell wavenumbers k_s = s·2π/L; shell s holds s−½ ≤ |k|L/2π < s+½")
            log.setFixed("statistics/separations", separations.map(Double.init), note: "structure-function separations in grid points")
            log.setFixed("statistics/separation_lengths", separations.map { Double($0) * g.spacing }, note: "separations r = points·L/N")
            log.setFixed("statistics/pdf_bins", histogram.centres, note: "PDF bin centres in units of the field's rms (σ)")
            log.setFixed("statistics/dissipation/box_sizes", moments.boxSizes.map(Double.init), note: "coarse-graining box sides in grid points")
        }
    }

    private func inWindow(_ t: Double) -> Bool { window.contains(t) }

    /// One record of the scalar time series; `injection` is the mean injection rate (energy,
    /// enstrophy) since the previous record.
    func recordScalars(dt: Double, cfl: Double, injection: (Double, Double)) throws {
        let ns = solver.ns
        let s = try ns.scalars()
        let values: [(String, Double, String)] = [
            ("time", ns.time, "simulated time"),
            ("step", Double(ns.stepCount), "steps taken"),
            ("dt", dt, "time step in use"),
            ("energy", s.energy, "E = ½⟨|u|²⟩"),
            ("enstrophy", s.enstrophy, "Z = ½⟨ω²⟩"),
            ("palinstrophy", s.palinstrophy, "P = ½⟨|∇ω|²⟩"),
            ("injection_energy", injection.0, "energy injection rate by the forcing, mean since the previous record (0 at the first)"),
            ("injection_enstrophy", injection.1, "enstrophy injection rate, mean since the previous record"),
            ("dissipation_energy_viscous", s.energyDissipationViscous, "Σ ν k^{2n}|ω̂|²/k²"),
            ("dissipation_energy_damping", s.energyDissipationDamping, "Σ α k^{2m}|ω̂|²/k² (large-scale damping)"),
            ("dissipation_enstrophy_viscous", s.enstrophyDissipationViscous, "Σ ν k^{2n}|ω̂|²"),
            ("dissipation_enstrophy_damping", s.enstrophyDissipationDamping, "Σ α k^{2m}|ω̂|²"),
            ("max_velocity", max(ns.maxVelocity.u, ns.maxVelocity.v), "max over the grid of |u| and |v| at the last step's start"),
            ("cfl", cfl, "dt·(max|u| + max|v|)/Δx"),
        ]
        let average = inWindow(ns.time) && ns.stepCount > 0
        for (name, value, note) in values {
            log.append("time_series/" + name, [value], note: note)
            if average && name != "step" && name != "time" { log.accumulate("time_average/scalars/" + name, [value], group: "scalars") }
        }
        if average { log.averageCounts["scalars", default: 0] += 1 }
    }

    /// One record of spectra and fluxes.
    func recordSpectra() throws {
        let ns = solver.ns
        let sp = try ns.spectra(scratch: specA)
        log.append("spectra/time", [ns.time])
        let fields: [(String, [Double], String)] = [
            ("energy", sp.energy, "E(k): Σ_s E(k_s)·Δk = E"),
            ("enstrophy", sp.enstrophy, "Z(k)"),
            ("flux_energy", sp.energyFlux, "Π_E(k) through k (positive: towards small scales)"),
            ("flux_enstrophy", sp.enstrophyFlux, "Π_Z(k)"),
        ]
        let average = inWindow(ns.time)
        for (name, values, note) in fields {
            log.append("spectra/" + name, values, frameShape: [values.count], note: note)
            if average { log.accumulate("time_average/spectra/" + name, values, frameShape: [values.count], group: "spectra") }
        }
        if average { log.averageCounts["spectra", default: 0] += 1 }
    }

    /// One record of structure functions, PDFs and dissipation moments.
    func recordStatistics() throws {
        let ns = solver.ns
        let average = inWindow(ns.time)
        log.append("statistics/time", [ns.time])
        func put(_ name: String, _ values: [Double], _ shape: [Int], _ note: String? = nil) {
            log.append("statistics/" + name, values, frameShape: shape, note: note)
            if average { log.accumulate("time_average/statistics/" + name, values, frameShape: shape, group: "statistics") }
        }
        ns.velocity(intoU: realA, v: realB)
        let sf = try structure.compute(u: realA, v: realB)
        let ns8 = StructureFunctions2D.orders, nsep = structure.separations.count
        for (c, name) in StructureFunctions2D.components.enumerated() {
            let signed = Array(sf[(2 * c) * ns8 * nsep ..< (2 * c + 1) * ns8 * nsep])
            let absolute = Array(sf[(2 * c + 1) * ns8 * nsep ..< (2 * c + 2) * ns8 * nsep])
            put("structure_functions/" + name, signed, [ns8, nsep], "⟨δu^p⟩, p = 1…8 (rows) at each separation (columns)")
            put("structure_functions/abs_" + name, absolute, [ns8, nsep], "⟨|δu|^p⟩, p = 1…8 at each separation")
        }
        let pu = try histogram.density(of: realA, grid: ns.grid)
        let pv = try histogram.density(of: realB, grid: ns.grid)
        ns.physicalVorticity(into: realC, scratch: specA)
        let pw = try histogram.density(of: realC, grid: ns.grid)
        for (name, pdf) in [("velocity_x", pu), ("velocity_y", pv), ("vorticity", pw)] {
            put("pdf/" + name, pdf.density, [histogram.bins], "probability density of x/σ on statistics/pdf_bins")
            put("rms/" + name, [pdf.sigma], [], "σ, the rms the PDF bins are scaled by")
        }
        ns.localDissipation(into: realD, scratch: realA, realB, spectral: specA, specB, specC)
        let (m, mean) = try moments.compute(realD)
        put("dissipation/moments", m, [moments.boxSizes.count, DissipationMoments2D.orders],
            "⟨ε_r^q⟩/⟨ε⟩^q for box sizes (rows) and q = 1…4 (columns); " + ns.dissipation.localDissipationDefinition)
        put("dissipation/mean", [mean], [], "⟨ε⟩ (equals dissipation_energy_viscous), " + ns.dissipation.localDissipationDefinition)
        if average { log.averageCounts["statistics", default: 0] += 1 }
    }
}

/// The solver with its forcing, as the recorder and the files see them.
struct NS2DSolverParts {
    let ns: NavierStokes2D
    let forcing: Forcing2D
}
