import Foundation
import JobKit
import Parallel
import Spectra
import Storage

/// The sweep's HDF5 file, CSV convergence table and summary (layout in docs/rmt.md).
enum SweepOutput {
    /// Mean and sample standard deviation (ddof 1; 0 for one repeat) over repeats of column `c` at size index `s`.
    static func meanStd(_ d: RMTSweepJob.DatasetResult, layout: RMTSweepJob.Layout, repeats: Int, size s: Int, column c: Int) -> (Double, Double) {
        let values = (0 ..< repeats).map { d.packed[(s * repeats + $0) * layout.width + c] }
        let mean = values.reduce(0, +) / Double(repeats)
        guard repeats > 1 else { return (mean, 0) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(repeats - 1)
        return (mean, variance.squareRoot())
    }

    /// Values of a slice [offset, offset + count) of every task's packed vector, task-major.
    static func slice(_ d: RMTSweepJob.DatasetResult, layout: RMTSweepJob.Layout, offset: Int, count: Int) -> [Double] {
        let tasks = d.packed.count / layout.width
        return (0 ..< tasks).flatMap { t in d.packed[t * layout.width + offset ..< t * layout.width + offset + count] }
    }

    static func writeHDF5(_ results: [RMTSweepJob.DatasetResult], layout: RMTSweepJob.Layout, repeats: Int, options o: AnalysisOptions,
                          parameters p: RMTSweepParameters, ranks: Int, path: String, communicator: Communicator) throws {
        let file = try H5File.create(path, communicator: communicator)
        let columns = SpectralAnalysis.scalarNames(lengths: o.lengths)
        try file.setAttribute("cascade_version", .string(CascadeVersion.current))
        try file.setAttribute("kind", .string("rmt-sweep"))
        try file.setAttribute("ranks", .int(ranks))
        try file.setAttribute("columns", .string(columns.joined(separator: ",")))
        try file.setAttribute("matrix_type", .string(p.matrixType.rawValue))
        try file.setAttribute("repeats", .int(repeats))
        try Provenance.matrix(p.matrixType, standardize: p.source.standardize, on: "/", of: file)
        try Provenance.statistics(p.statistics, on: "/", of: file)
        let spacingX = (0 ..< o.spacingBins).map { (Double($0) + 0.5) * o.spacingMax / Double(o.spacingBins) }
        let ratioX = (0 ..< o.ratioBins).map { (Double($0) + 0.5) / Double(o.ratioBins) }
        let tauX = (0 ..< o.tauPoints).map { (Double($0) + 0.5) * o.tauMax / Double(o.tauPoints) }
        try AnalysisWriter.vector(file, "/L", o.lengths)
        try AnalysisWriter.vector(file, "/spacing_s", spacingX)
        try AnalysisWriter.vector(file, "/gap_ratio_r", ratioX)
        try AnalysisWriter.vector(file, "/tau", tauX)
        try file.createGroup("/reference")
        for e in ReferenceEnsemble.allCases {
            let n = e.rawValue
            try AnalysisWriter.vector(file, "/reference/spacing_\(n)", spacingX.map(e.spacingDensity))
            try AnalysisWriter.vector(file, "/reference/gap_ratio_\(n)", ratioX.map(e.gapRatioDensity))
            try AnalysisWriter.vector(file, "/reference/sigma2_\(n)", o.lengths.map(e.numberVariance))
            try AnalysisWriter.vector(file, "/reference/delta3_\(n)", o.lengths.map(e.rigidity))
            try AnalysisWriter.vector(file, "/reference/form_factor_\(n)", tauX.map(e.formFactor))
            try file.setAttribute("mean_gap_ratio_\(n)", .double(e.meanGapRatio), on: "/reference")
        }
        for d in results {
            let g = "/\(d.name)"
            try file.createGroup(g)
            try file.setAttribute("type", .string(d.spec.type), on: g)
            try file.setAttribute("file", .string(d.spec.selection.file), on: g)
            try file.setAttribute("dataset", .string(d.spec.selection.dataset), on: g)
            try file.setAttribute("total", .int(d.totalSamples), on: g)
            try file.setAttribute("features", .int(d.features), on: g)
            if d.spec.isSpectrum {
                try file.setAttribute("subset_rule", .string("repeat k is draw k (stream k of source.seed) of the reference spectrum at each size M"), on: g)
            } else {
                try Provenance.source(d.spec, samples: d.totalSamples, fieldShape: d.fieldShape, on: g, of: file)
                // The subsets are rebuilt from this key (docs/rmt.md): at M = total every repeat is the whole dataset.
                try file.setAttribute("subset_seed", .int(Int(bitPattern: UInt(d.spec.seed ^ 0x5AB5E7))), on: g)
                try file.setAttribute("subset_rule", .string("repeat k: sample i is in the subset of size M iff its rank in the order of the keys CounterRNG(seed = subset_seed, stream = k).bits(at: i) (Philox4x32-10 as in Sources/CounterRNG, ties by i) is < M; nested in M"), on: g)
            }
            let m = d.sizes.count
            try file.createDataset("\(g)/sizes", of: Int.self, shape: [m])
            try file.write("\(g)/sizes", d.sizes, offset: [0], count: [m])
            let parts: [(String, Int, Int)] = [
                ("scalars", 0, layout.scalarCount),
                ("spacing_density", layout.scalarCount, layout.spacingBins),
                ("gap_ratio_density", layout.scalarCount + layout.spacingBins, layout.ratioBins),
                ("form_factor", layout.scalarCount + layout.spacingBins + layout.ratioBins, layout.tauPoints),
            ]
            for (name, offset, count) in parts {
                try file.createDataset("\(g)/\(name)", of: Double.self, shape: [m, repeats, count])
                try file.write("\(g)/\(name)", slice(d, layout: layout, offset: offset, count: count), offset: [0, 0, 0], count: [m, repeats, count])
            }
            var means: [Double] = [], stds: [Double] = []
            for s in 0 ..< m {
                for c in 0 ..< layout.scalarCount {
                    let (mu, sd) = meanStd(d, layout: layout, repeats: repeats, size: s, column: c)
                    means.append(mu); stds.append(sd)
                }
            }
            for (name, values) in [("mean", means), ("std", stds)] {
                try file.createDataset("\(g)/\(name)", of: Double.self, shape: [m, layout.scalarCount])
                try file.write("\(g)/\(name)", values, offset: [0, 0], count: [m, layout.scalarCount])
            }
        }
        try file.close()
    }

    /// CSV: one row per dataset and M with the mean and standard deviation of every scalar over repeats.
    static func csv(_ results: [RMTSweepJob.DatasetResult], layout: RMTSweepJob.Layout, repeats: Int, lengths: [Double]) -> String {
        let columns = SpectralAnalysis.scalarNames(lengths: lengths)
        var lines = [(["dataset", "type", "M", "repeats"] + columns.flatMap { ["\($0)_mean", "\($0)_std"] }).joined(separator: ",")]
        for d in results {
            for (s, m) in d.sizes.enumerated() {
                var row = [d.name, d.spec.type, String(m), String(repeats)]
                for c in 0 ..< layout.scalarCount {
                    let (mu, sd) = meanStd(d, layout: layout, repeats: repeats, size: s, column: c)
                    row += [String(format: "%.10g", mu), String(format: "%.10g", sd)]
                }
                lines.append(row.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// ⟨r⟩, α (with its Poisson and GOE references) and Δ₃(L_max) against M per dataset.
    static func summary(_ results: [RMTSweepJob.DatasetResult], layout: RMTSweepJob.Layout, repeats: Int, lengths: [Double]) -> String {
        let columns = SpectralAnalysis.scalarNames(lengths: lengths)
        let r = columns.firstIndex(of: "mean_gap_ratio")!, alpha = columns.firstIndex(of: "alpha")!
        let alphaPoisson = columns.firstIndex(of: "alpha_poisson")!, alphaGOE = columns.firstIndex(of: "alpha_goe")!
        let d3 = columns.lastIndex { $0.hasPrefix("delta3_L") }!
        var lines: [String] = []
        for d in results {
            lines.append("\(d.name) (\(d.spec.type)): M, ⟨r⟩ ± sd, α ± sd (Poisson, GOE reference α), \(columns[d3]) ± sd")
            for (s, m) in d.sizes.enumerated() {
                func stat(_ c: Int) -> (Double, Double) { meanStd(d, layout: layout, repeats: repeats, size: s, column: c) }
                let (rm, rs) = stat(r), (am, asd) = stat(alpha), (dm, ds) = stat(d3)
                let (ap, ag) = (stat(alphaPoisson).0, stat(alphaGOE).0)
                lines.append(String(format: "  %7d  %.4f ± %.4f  %.4f ± %.4f (%.4f, %.4f)  %.4f ± %.4f", m, rm, rs, am, asd, ap, ag, dm, ds))
            }
        }
        return lines.joined(separator: "\n")
    }
}
