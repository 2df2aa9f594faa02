import Spectra
import Storage

/// Writes a ``SpectralAnalysis`` into a group of an HDF5 file (layout in docs/rmt.md).
///
/// Used on a file that one rank writes (a single-rank communicator): the analysis lives there.
enum AnalysisWriter {
    /// Writes a 1-D float64 dataset (skipped when empty: HDF5 cannot hold a zero-length fixed dataset).
    static func vector(_ file: H5File, _ path: String, _ values: [Double]) throws {
        guard !values.isEmpty else { return }
        try file.createDataset(path, of: Double.self, shape: [values.count])
        try file.write(path, values, offset: [0], count: [values.count])
    }

    /// Writes `curve` as `<group>/<name>` plus `<group>/poisson|goe|gue`, with `<group>/<xName>`.
    static func curve(_ file: H5File, _ group: String, xName: String, name: String, _ curve: ReferencedCurve) throws {
        try file.createGroup(group)
        try vector(file, "\(group)/\(xName)", curve.x)
        try vector(file, "\(group)/\(name)", curve.measured)
        for e in ReferenceEnsemble.allCases { try vector(file, "\(group)/\(e.rawValue)", curve.references[e] ?? []) }
    }

    /// Writes `<g>/rank_ordered_reference/poisson|goe|gue` (attributes `density`, `mean`, `variance`,
    /// `marchenko_pastur_ratio`) and, on `<g>`, `power_law_alpha_<e>`, `power_law_r2_<e>`, `entropy_<e>`,
    /// `effective_rank_<e>` and `participation_ratio_<e>` for each ensemble e.
    static func rankOrderedReference(_ r: RankOrderedReference, to file: H5File, group g: String,
                                     alpha: (PowerLawFit?) -> Double) throws {
        let sub = "\(g)/rank_ordered_reference"
        try file.createGroup(sub)
        try file.setAttribute("density", .string(r.density?.name ?? "none"), on: sub)
        try file.setAttribute("mean", .double(r.density?.mean ?? .nan), on: sub)
        try file.setAttribute("variance", .double(r.density?.variance ?? .nan), on: sub)
        try file.setAttribute("marchenko_pastur_ratio", .double(r.density?.ratio ?? .nan), on: sub)
        for e in ReferenceEnsemble.allCases {
            let n = e.rawValue
            try vector(file, "\(sub)/\(n)", r.levels[e] ?? [])
            let attributes: [(String, Double)] = [
                ("power_law_alpha_\(n)", alpha(r.powerLaw[e])), ("power_law_r2_\(n)", r.powerLaw[e]?.r2 ?? .nan),
                ("entropy_\(n)", r.entropy[e]?.entropy ?? .nan), ("effective_rank_\(n)", r.entropy[e]?.effectiveRank ?? .nan),
                ("participation_ratio_\(n)", r.entropy[e]?.participationRatio ?? .nan),
            ]
            for (name, value) in attributes { try file.setAttribute(name, .double(value), on: g) }
        }
    }

    /// `<g>` attributes `mode`, `tolerance`, `window`, `count`, `levels`, `levels_in_multiplets`,
    /// `distinct_levels`; with multiplets, `<g>/first_index` (int64, index of each multiplet's lowest level in
    /// the ascending nonzero levels) and `<g>/size` (int64).
    static func multiplets(_ m: MultipletSummary, to file: H5File, group g: String) throws {
        try file.createGroup(g)
        let attributes: [(String, AttributeValue)] = [
            ("mode", .string(m.mode.rawValue)), ("tolerance", .double(m.tolerance)), ("window", .int(m.window)),
            ("count", .int(m.count)), ("levels", .int(m.levels)), ("levels_in_multiplets", .int(m.levelsInMultiplets)),
            ("distinct_levels", .int(m.distinctLevels)),
        ]
        for (name, value) in attributes { try file.setAttribute(name, value, on: g) }
        guard m.count > 0 else { return }
        for (name, values) in [("first_index", m.groups.map(\.lowerBound)), ("size", m.groups.map(\.count))] {
            try file.createDataset("\(g)/\(name)", of: Int.self, shape: [values.count])
            try file.write("\(g)/\(name)", values, offset: [0], count: [values.count])
        }
    }

    /// `<g>` attributes of the Marchenko–Pastur fit and the Tracy–Widom test (docs/rmt.md, "Signal and noise").
    static func marchenkoPastur(_ mp: MarchenkoPasturFit, to file: H5File, group g: String) throws {
        try file.createGroup(g)
        let attributes: [(String, AttributeValue)] = [
            ("sigma2", .double(mp.sigma2)), ("ratio", .double(mp.ratio)), ("lower_edge", .double(mp.lowerEdge)),
            ("upper_edge", .double(mp.upperEdge)), ("above_edge", .int(mp.aboveEdge)), ("significant", .int(mp.significant)),
            ("threshold", .double(mp.threshold)), ("significance", .double(mp.significance)), ("largest", .double(mp.largest)),
            ("tracy_widom_statistic", .double(mp.tracyWidomStatistic)), ("tracy_widom_p_value", .double(mp.tracyWidomPValue)),
            ("tracy_widom_centre", .double(mp.tracyWidomCentre)), ("tracy_widom_scale", .double(mp.tracyWidomScale)),
            ("bulk_levels", .int(mp.bulkLevels)), ("iterations", .int(mp.iterations)),
        ]
        for (name, value) in attributes { try file.setAttribute(name, value, on: g) }
    }

    /// `<g>/inverse_participation_ratio` (by rank, largest eigenvalue first) and attributes `dimension`,
    /// `goe_reference`, `bulk_first_rank`, `bulk_last_rank`, `pooled_components`, `porter_thomas_ks`,
    /// `porter_thomas_p_value`, `chi2_ks`.
    static func write(_ e: EigenvectorStatistics, to file: H5File, group g: String) throws {
        try file.createGroup(g)
        try vector(file, "\(g)/inverse_participation_ratio", e.inverseParticipationRatio)
        let attributes: [(String, AttributeValue)] = [
            ("dimension", .int(e.dimension)), ("goe_reference", .double(e.goeReference)),
            ("bulk_first_rank", .int(e.bulkRanks?.lowerBound ?? 0)), ("bulk_last_rank", .int(e.bulkRanks?.upperBound ?? 0)),
            ("pooled_components", .int(e.pooledComponents)), ("porter_thomas_ks", .double(e.porterThomasKS)),
            ("porter_thomas_p_value", .double(e.porterThomasPValue)), ("chi2_ks", .double(e.chiSquaredKS)),
        ]
        for (name, value) in attributes { try file.setAttribute(name, value, on: g) }
    }

    static func write(_ a: SpectralAnalysis, to file: H5File, group g: String) throws {
        try file.createGroup(g)
        let attributes: [(String, AttributeValue)] = [
            ("levels", .int(a.levelCount)), ("zeros_dropped", .int(a.zerosDropped)),
            ("trimmed_low", .int(a.trimmedLow)), ("trimmed_high", .int(a.trimmedHigh)), ("kept", .int(a.keptCount)),
            ("unfolding", .string(a.unfoldingName)), ("unfolding_variable", .string(a.unfoldingMethod.variable)),
            ("power_law_alpha", .double(a.alpha(a.powerLaw))),
            ("power_law_convention", .string(a.powerLawConvention.law)),
            ("power_law_range_rule", .string(a.powerLawRangeRule)),
            ("power_law_prefactor", .double(a.powerLaw?.prefactor ?? .nan)),
            ("power_law_first_rank", .int(a.powerLaw?.firstRank ?? 0)),
            ("power_law_last_rank", .int(a.powerLaw?.lastRank ?? 0)),
            ("power_law_r2", .double(a.powerLaw?.r2 ?? .nan)),
            ("power_law_rms_residual", .double(a.powerLaw?.rmsResidual ?? .nan)),
            ("power_law_automatic", .int(a.powerLaw?.automatic == true ? 1 : 0)),
            ("entropy", .double(a.entropy)), ("effective_rank", .double(a.effectiveRank)),
            ("participation_ratio", .double(a.participationRatio)),
        ]
        for (name, value) in attributes { try file.setAttribute(name, value, on: g) }
        for (name, value) in a.unfoldingMethod.parameters { try file.setAttribute("unfolding_\(name)", .double(value), on: g) }
        // What the numbers cannot be trusted for: "" when nothing was replaced or undefined.
        try file.setAttribute("unfolding_fallback", .string(a.unfoldingFallback ?? ""), on: g)
        try file.setAttribute("undefined", .string(a.undefined.map(\.statistic).joined(separator: ",")), on: g)
        for u in a.undefined { try file.setAttribute("undefined_\(u.statistic)", .string(u.reason), on: g) }
        try file.setAttribute("warnings", .string(a.warnings.joined(separator: "\n")), on: g)
        try vector(file, "\(g)/rank_ordered", a.rankOrdered)
        try rankOrderedReference(a.rankOrderedReference, to: file, group: g, alpha: a.alpha)
        try multiplets(a.multiplets, to: file, group: "\(g)/multiplets")
        if let mp = a.marchenkoPastur { try marchenkoPastur(mp, to: file, group: "\(g)/marchenko_pastur") }
        try vector(file, "\(g)/unfolded", a.unfolded)

        try curve(file, "\(g)/spacing", xName: "s", name: "density", a.spacing)
        try vector(file, "\(g)/spacing/edges", a.spacingEdges)
        try vector(file, "\(g)/spacing/brody", a.brodyCurve)
        try file.setAttribute("brody_beta", .double(a.brodyBeta), on: "\(g)/spacing")
        try file.setAttribute("ks_brody", .double(a.ksBrody), on: "\(g)/spacing")
        for e in ReferenceEnsemble.allCases {
            try file.setAttribute("ks_\(e.rawValue)", .double(a.ksDistance[e] ?? .nan), on: "\(g)/spacing")
        }

        try curve(file, "\(g)/gap_ratio", xName: "r", name: "density", a.gapRatio)
        try vector(file, "\(g)/gap_ratio/edges", a.ratioEdges)
        try file.setAttribute("mean", .double(a.meanGapRatio), on: "\(g)/gap_ratio")
        for e in ReferenceEnsemble.allCases {
            try file.setAttribute("mean_\(e.rawValue)", .double(e.meanGapRatio), on: "\(g)/gap_ratio")
        }
        try curve(file, "\(g)/number_variance", xName: "L", name: "sigma2", a.numberVariance)
        try curve(file, "\(g)/rigidity", xName: "L", name: "delta3", a.rigidity)
        try curve(file, "\(g)/form_factor", xName: "tau", name: "K", a.formFactor)
    }
}
