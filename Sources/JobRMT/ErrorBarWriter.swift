import Covariance
import Spectra
import Storage

/// Writes bootstrap errors, null models, D4 sectors, KS p-values and provenance (layout in docs/rmt.md).
enum ErrorBarWriter {
    /// A [rows, columns] float64 dataset (skipped when empty).
    static func table(_ file: H5File, _ path: String, _ rows: [[Double]]) throws {
        guard let width = rows.first?.count, width > 0 else { return }
        try file.createDataset(path, of: Double.self, shape: [rows.count, width])
        try file.write(path, rows.flatMap { $0 }, offset: [0, 0], count: [rows.count, width])
    }

    /// `ks_pvalue_<e>` on `<g>/spacing`: the asymptotic Kolmogorov p-value of each KS distance for the analysis'
    /// spacings (treated as independent draws, which unfolded spacings are only approximately).
    static func ksPValues(_ a: SpectralAnalysis, to file: H5File, group g: String) throws {
        let spacings = max(0, a.unfolded.count - 1)
        for e in ReferenceEnsemble.allCases {
            let p = SpecialFunctions.kolmogorovPValue(a.ksDistance[e] ?? .nan, samples: spacings)
            try file.setAttribute("ks_pvalue_\(e.rawValue)", .double(p), on: "\(g)/spacing")
        }
        try file.setAttribute("ks_spacings", .int(spacings), on: "\(g)/spacing")
    }

    /// `<column>_stderr` on `/statistics` and the resamples' scalars in `/statistics/bootstrap`.
    static func bootstrap(_ b: RepeatedScalars, seed: Int, to file: H5File) throws {
        for (c, name) in b.columns.enumerated() {
            try file.setAttribute("\(name)_stderr", .double(b.meanStd(c).std), on: "/statistics")
        }
        try file.createGroup("/statistics/bootstrap")
        try file.setAttribute("columns", .string(b.columns.joined(separator: ",")), on: "/statistics/bootstrap")
        try file.setAttribute("resamples", .int(b.rows.count), on: "/statistics/bootstrap")
        try file.setAttribute("seed", .int(seed), on: "/statistics/bootstrap")
        try table(file, "/statistics/bootstrap/scalars", b.rows)
    }

    /// `/null/<model>`: each repeat's scalars, their mean and standard deviation, and the comparison with the data.
    static func nulls(_ results: ErrorBarResults, data: SpectralAnalysis, parameters p: NullParameters, compared: [String],
                      errorLength: Double, to file: H5File) throws {
        guard !results.nulls.isEmpty else { return }
        try file.createGroup("/null")
        try file.setAttribute("rule", .string(NullComparison.rule), on: "/null")
        try file.setAttribute("repeats", .int(p.repeats), on: "/null")
        try file.setAttribute("seed", .int(p.seed), on: "/null")
        try file.setAttribute("population", .string(p.population), on: "/null")
        try file.setAttribute("error_length", .double(errorLength), on: "/null")
        try file.setAttribute("compared", .string(compared.joined(separator: ",")), on: "/null")
        for (model, scalars) in results.nulls {
            let g = "/null/\(model.rawValue)"
            try file.createGroup(g)
            try file.setAttribute("columns", .string(scalars.columns.joined(separator: ",")), on: g)
            try table(file, "\(g)/scalars", scalars.rows)
            let stats = scalars.columns.indices.map(scalars.meanStd)
            try AnalysisWriter.vector(file, "\(g)/mean", stats.map(\.mean))
            try AnalysisWriter.vector(file, "\(g)/std", stats.map(\.std))
            let comparison = NullComparison(data: data.scalars, stderr: results.stderr, null: scalars, columns: compared)
            for r in comparison.rows {
                let values: [(String, AttributeValue)] = [
                    ("data", .double(r.data)), ("data_stderr", .double(r.dataStderr)), ("null_mean", .double(r.nullMean)),
                    ("null_std", .double(r.nullStd)), ("z", .double(r.z)), ("differs", .int(r.differs ? 1 : 0)),
                ]
                for (suffix, v) in values { try file.setAttribute("\(r.column)_\(suffix)", v, on: g) }
            }
        }
    }

    /// `/sectors/<irrep>`: each sector's eigenvalues and full analysis.
    static func sectors(_ sectors: [SectorSpectrum], to file: H5File) throws {
        guard !sectors.isEmpty else { return }
        try file.createGroup("/sectors")
        try file.setAttribute("group", .string("D4 on the periodic N x N grid; B1 even under the axis reflections, B2 under the diagonal ones; E projected on one partner (one level per exactly degenerate pair)"), on: "/sectors")
        for s in sectors {
            let g = "/sectors/\(s.irrep.rawValue)"
            try AnalysisWriter.write(s.analysis, to: file, group: g)
            try ksPValues(s.analysis, to: file, group: g)
            try AnalysisWriter.vector(file, "\(g)/eigenvalues", s.levels)
            try file.setAttribute("dimension", .int(s.dimension), on: g)
            try file.setAttribute("multiplicity", .int(SquareSymmetry.multiplicity(s.irrep)), on: g)
        }
    }
}
