import Storage

/// Attributes that record how a spectrum was made, so that an output file alone says what it is (docs/rmt.md).
enum Provenance {
    /// Centring and normalisation of the matrix.
    static func matrix(_ type: MatrixType, standardize: Bool, on g: String, of file: H5File) throws {
        let normalisation: String
        switch type {
        case .covariance: normalisation = standardize ? "sum of products of standardised centred features / (n - 1) (the correlation matrix)" : "sum of centred outer products / (n - 1)"
        case .correlation: normalisation = "C_ij / sqrt(C_ii C_jj) of the covariance (ddof 1)"
        case .gram: normalisation = standardize ? "(1/d) X~ X~^T of the centred, standardised samples" : "(1/d) X~ X~^T of the centred samples"
        }
        try file.setAttribute("centring", .string("each feature's mean over the selected samples subtracted (per rank, merged by Chan, Golub & LeVeque)"), on: g)
        try file.setAttribute("normalisation", .string(normalisation), on: g)
        try file.setAttribute("ddof", .int(type == .gram ? 0 : 1), on: g)
    }

    /// The source: file, dataset, selection (first, samples, stride, crop, coarse; crop and coarse as comma-separated
    /// integers, "" for none), field shape, and the synthetic generator's seed and exponent.
    static func source(_ spec: SourceSpec, samples: Int, fieldShape: [Int], on g: String, of file: H5File) throws {
        let s = spec.selection
        let list: ([Int]) -> String = { $0.map(String.init).joined(separator: ",") }
        let values: [(String, AttributeValue)] = [
            ("source_file", .string(s.file)), ("source_dataset", .string(s.dataset)),
            ("selection_first", .int(spec.type == "hdf5" ? s.first : 0)), ("selection_samples", .int(samples)),
            ("selection_stride", .int(spec.type == "hdf5" ? s.stride : 1)),
            ("selection_crop", .string(spec.type == "hdf5" ? list(s.crop) : "")),
            ("selection_coarse", .string(spec.type == "hdf5" ? list(s.coarse) : "")),
            ("field_shape", .ints(fieldShape)), ("source_seed", .int(Int(spec.seed))), ("source_exponent", .double(spec.exponent)),
        ]
        for (name, v) in values { try file.setAttribute(name, v, on: g) }
    }

    /// `statistics_<key>` for the statistics keys: tolerances, trims, unfolding and window settings of the statistics, as asked for (what was used is on /statistics).
    static func statistics(_ s: StatisticsParameters, on g: String, of file: H5File) throws {
        let values: [(String, AttributeValue)] = [
            ("statistics_zero_tolerance", .double(s.zeroTolerance)), ("statistics_trim_low", .double(s.trimLow)), ("statistics_trim_high", .double(s.trimHigh)),
            ("statistics_unfolding_requested", .string(s.unfolding.rawValue)), ("statistics_unfolding_degree", .int(s.degree)),
            ("statistics_spacing_bins", .int(s.spacingBins)), ("statistics_spacing_max", .double(s.spacingMax)), ("statistics_ratio_bins", .int(s.ratioBins)),
            ("statistics_lengths", .doubles(s.lengths)), ("statistics_length_count", .int(s.lengthCount)), ("statistics_windows", .int(s.windows)),
            ("statistics_tau_max", .double(s.tauMax)), ("statistics_tau_points", .int(s.tauPoints)), ("statistics_tau_smoothing", .int(s.tauSmoothing)),
            ("statistics_power_law_ranks", .ints(s.powerLawRanks)), ("statistics_power_law_min_r2", .double(s.powerLawMinimumR2)),
        ]
        for (name, v) in values { try file.setAttribute(name, v, on: g) }
    }
}
