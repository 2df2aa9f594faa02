import Foundation
import JobKit
import Parallel
import Storage
import Turbulence

/// `turbulence_compare.h5` (one group per input and `/comparison`) and the printed summary.
enum CompareOutput {
    static func write(_ a: CompareAnalysis, parameters p: CompareParameters, ranks: Int, path: String,
                      communicator: Communicator) throws {
        let file = try H5File.create(path, communicator: communicator)
        func vector(_ path: String, _ values: [Double]) throws {
            try file.createDataset(path, of: Double.self, shape: [values.count])
            try file.write(path, values, offset: [0], count: [values.count])
        }
        func integers(_ path: String, _ values: [Int]) throws {
            try file.createDataset(path, of: Int64.self, shape: [values.count])
            try file.write(path, values.map { Int64($0) }, offset: [0], count: [values.count])
        }
        func matrix(_ path: String, _ rows: [[Double]]) throws {
            let columns = rows.first?.count ?? 0
            try file.createDataset(path, of: Double.self, shape: [rows.count, columns])
            try file.write(path, rows.flatMap { $0 }, offset: [0, 0], count: [rows.count, columns])
        }
        try file.setAttribute("cascade_version", .string(CascadeVersion.current))
        try file.setAttribute("kind", .string(CompareJob.name))
        try file.setAttribute("ranks", .int(ranks))
        try file.setAttribute("inputs", .string(a.inputs.map(\.input.name).joined(separator: ",")))
        try file.setAttribute("fit_range", .doubles([a.fitRange.lowerBound, a.fitRange.upperBound]))
        try file.setAttribute("epsilon", .double(a.epsilon))
        try file.setAttribute("bootstrap_repeats", .int(p.repeats))
        try file.setAttribute("bootstrap_seed", .int(p.seed))
        try file.setAttribute("bootstrap_block", .int(p.block))
        try file.setAttribute("novelty_reference", .string(a.reference.name))
        try file.setAttribute("novelty_reference_file", .string(a.reference.file))
        try file.setAttribute("novelty_reference_coarsening", .int(a.reference.coarsening))
        try file.setAttribute("orders", .ints(FieldStatistics.orders))
        try vector("/k", a.shellK)
        try integers("/separations", a.separations)
        try vector("/velocity_bins", a.velocityBins.centres)
        try vector("/vorticity_bins", a.vorticityBins.centres)
        try integers("/dissipation_box_sizes", a.boxSizes)
        try integers("/novelty_reference_frames", a.reference.frames)
        for d in a.inputs {
            let g = "/" + d.input.name
            try file.createGroup(g)
            try file.setAttribute("file", .string(d.input.file), on: g)
            try file.setAttribute("dataset", .string(p.dataset), on: g)
            try file.setAttribute("fields", .int(d.fieldCount), on: g)
            try file.setAttribute("coarsening", .int(d.input.coarsening), on: g)
            try file.setAttribute("stored_n", .int(d.input.storedSide), on: g)
            try file.setAttribute("energy", .double(d.energy), on: g)
            try file.setAttribute("enstrophy", .double(d.enstrophy), on: g)
            try file.setAttribute("mean_dissipation", .double(d.meanDissipation), on: g)
            try file.setAttribute("plateau", .double(d.plateau), on: g)
            try file.setAttribute("plateau_error", .double(d.plateauError), on: g)
            try file.setAttribute("novelty_median", .double(d.noveltyMedian), on: g)
            try integers(g + "/frames", d.input.frames)
            try vector(g + "/energy_spectrum", d.spectrum)
            try vector(g + "/energy_spectrum_error", d.spectrumError)
            try matrix(g + "/structure_functions", d.structureAbsolute)
            try matrix(g + "/structure_functions_signed", d.structureSigned)
            try vector(g + "/zeta", d.zeta)
            try vector(g + "/zeta_error", d.zetaError)
            try vector(g + "/third_order", d.thirdOrder)
            try vector(g + "/velocity_pdf", d.velocityPDF)
            try vector(g + "/vorticity_pdf", d.vorticityPDF)
            try matrix(g + "/dissipation_moments", d.dissipationMoments)
            try vector(g + "/novelty", d.nearest.map(\.distance))
            try integers(g + "/novelty_nearest", d.nearest.map(\.reference))
            try integers(g + "/novelty_symmetry", d.nearest.map(\.symmetry))
        }
        try file.createGroup("/comparison")
        try file.setAttribute("baseline", .string(a.inputs[0].input.name), on: "/comparison")
        try matrix("/comparison/spectrum_relative_difference", a.spectrumRelativeDifference)
        try matrix("/comparison/velocity_js", a.velocityJS)
        try matrix("/comparison/velocity_ks", a.velocityKS)
        try matrix("/comparison/vorticity_js", a.vorticityJS)
        try matrix("/comparison/vorticity_ks", a.vorticityKS)
        try matrix("/comparison/zeta_difference_sigma", a.zetaDifferenceSigma)
        try vector("/comparison/novelty_median", a.inputs.map(\.noveltyMedian))
        try file.close()
    }

    /// Exponents with their errors per input, and the distances to the baseline.
    static func summary(_ a: CompareAnalysis) -> String {
        func f(_ x: Double, _ digits: Int = 3) -> String { x.isNaN ? "n/a" : String(format: "%.\(digits)f", x) }
        var lines = ["turbulence-compare: \(a.inputs.count) inputs; ζ_p fitted over r = \(Int(a.fitRange.lowerBound))…\(Int(a.fitRange.upperBound)) grid points, errors from bootstrap over fields; distances to \(a.inputs[0].input.name)"]
        // Shells the baseline resolves (dealiased ones hold round-off, ~1e-31 of the peak).
        let peak = a.inputs[0].spectrum.max() ?? 0
        let resolvedShells = a.shellK.indices.dropFirst().filter { a.inputs[0].spectrum[$0] > 1e-12 * peak }
        for (i, d) in a.inputs.enumerated() {
            let zetas = zip(FieldStatistics.orders, zip(d.zeta, d.zetaError)).map { "ζ\($0.0) = \(f($0.1.0)) ± \(f($0.1.1))" }
            let maxDifference = resolvedShells.map { abs(a.spectrumRelativeDifference[i][$0]) }.max() ?? .nan
            let coarse = d.input.coarsening == 1 ? "" : ", \(d.input.storedSide)² coarse-grained by \(d.input.coarsening)"
            lines.append("  \(d.input.name) (\(d.fieldCount) fields\(coarse)): " + zetas.joined(separator: ", "))
            lines.append("    S3/(εr) plateau \(f(d.plateau)) ± \(f(d.plateauError)); E = \(f(d.energy, 4)), ⟨ε⟩ = \(String(format: "%.4g", d.meanDissipation)); novelty median \(f(d.noveltyMedian))")
            if i > 0 {
                lines.append("    vs \(a.inputs[0].input.name): velocity JS \(f(a.velocityJS[i][0], 4)) KS \(f(a.velocityKS[i][0], 4)), vorticity JS \(f(a.vorticityJS[i][0], 4)) KS \(f(a.vorticityKS[i][0], 4)), max |ΔE/E| over resolved shells \(f(maxDifference))")
            }
        }
        return lines.joined(separator: "\n")
    }
}
