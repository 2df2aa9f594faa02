import Spectra

/// Schema keys shared by the `covariance` and `rmt-sweep` kinds: the statistics options.
enum RMTFields {
    /// The `statistics.*` keys.
    static let statistics: [ConfigField] = [
        ConfigField("statistics.trim_low", .double(atLeast: 0, atMost: 0.45), default: .double(0.1),
                    "Fraction of the (nonzero) levels removed at the low end before unfolding, spacings, gap ratios, Σ², Δ₃ and K(τ); recorded in the output."),
        ConfigField("statistics.trim_high", .double(atLeast: 0, atMost: 0.45), default: .double(0.1),
                    "Fraction of the levels removed at the high end (the same statistics)."),
        ConfigField("statistics.zero_tolerance", .double(atLeast: 0, atMost: 0.1), default: .double(1e-10),
                    "Covariance/correlation/Gram spectra: eigenvalues ≤ this × the largest are zero modes and dropped (their count is recorded). Not applied to GOE/GUE/Poisson sources."),
        ConfigField("statistics.unfolding", .string(choices: ["polynomial", "semicircle", "marchenko-pastur"]), default: .string("polynomial"),
                    "Unfolding: a polynomial fit to the staircase N(λ), the semicircle law, or the Marchenko–Pastur law (aspect ratio from the matrix)."),
        ConfigField("statistics.degree", .int(1 ... 30), default: .int(9),
                    "Degree of the polynomial unfolding."),
        ConfigField("statistics.spacing_bins", .int(2 ... 10000), default: .int(40),
                    "Bins of the nearest-neighbour spacing histogram on [0, spacing_max]."),
        ConfigField("statistics.spacing_max", .double(above: 0), default: .double(4),
                    "Upper end of the spacing histogram, in mean spacings."),
        ConfigField("statistics.ratio_bins", .int(2 ... 10000), default: .int(20),
                    "Bins of the gap-ratio histogram on [0, 1]."),
        ConfigField("statistics.lengths", .doubleArray(count: 2 ... 2), default: .array([.double(1), .double(20)]),
                    "[L_min, L_max] of the number variance Σ²(L) and rigidity Δ₃(L), in mean spacings."),
        ConfigField("statistics.length_count", .int(1 ... 1000), default: .int(20),
                    "Number of equally spaced L values from L_min to L_max."),
        ConfigField("statistics.windows", .int(1 ... 1_000_000), default: .int(1000),
                    "Window starts per L: a deterministic, equally spaced grid over the unfolded spectrum."),
        ConfigField("statistics.tau_max", .double(above: 0), default: .double(2.5),
                    "Largest τ of the spectral form factor, in Heisenberg times."),
        ConfigField("statistics.tau_points", .int(1 ... 100_000), default: .int(50),
                    "Bins of τ in (0, tau_max]."),
        ConfigField("statistics.tau_smoothing", .int(1 ... 1000), default: .int(8),
                    "τ values averaged in each bin (running average in place of an ensemble average)."),
        ConfigField("statistics.power_law_ranks", .intArray(count: 2 ... 2, element: 0 ... Int.max), default: .array([.int(0), .int(0)]),
                    "[first, last] rank (1-based) of the fit λ_i ∝ i^−(1+α); [0, 0] chooses the range automatically."),
        ConfigField("statistics.power_law_min_r2", .double(atLeast: 0, atMost: 1), default: .double(0.99),
                    "Automatic range: the widest window (≥ 1 decade) whose log-log R² reaches this."),
    ]

    /// Cross-key checks of the statistics keys.
    static func problems(in config: JobConfig) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        if config.double("statistics.trim_low") + config.double("statistics.trim_high") >= 0.9 {
            problems.append(ConfigProblem(path: "statistics.trim_high", message: "trim_low + trim_high leaves less than 10% of the levels",
                                          fix: "use trims that add up to less than 0.9"))
        }
        let l = config.doubles("statistics.lengths")
        if !(l[0] > 0 && l[1] >= l[0]) {
            problems.append(ConfigProblem(path: "statistics.lengths", message: "needs 0 < L_min ≤ L_max, found \(l)", fix: "use e.g. [1, 20]"))
        }
        let r = config.ints("statistics.power_law_ranks")
        if !(r == [0, 0] || (r[0] >= 1 && r[1] >= r[0] + 2)) {
            problems.append(ConfigProblem(path: "statistics.power_law_ranks", message: "\(r) is not a range of at least 3 ranks",
                                          fix: "use [first, last] with 1 ≤ first and last ≥ first + 2, or [0, 0] for automatic"))
        }
        return problems
    }

    /// The analysis options from the `statistics.*` keys. `ratio` is the aspect ratio for
    /// Marchenko–Pastur unfolding and, for a positive spectrum, for the Marchenko–Pastur (GOE/GUE)
    /// references of the rank-ordered spectrum; `positiveSpectrum` turns on zero-mode removal.
    static func options(_ config: JobConfig, ratio: Double, positiveSpectrum: Bool) -> AnalysisOptions {
        var o = AnalysisOptions()
        o.trimLow = config.double("statistics.trim_low")
        o.trimHigh = config.double("statistics.trim_high")
        o.zeroTolerance = positiveSpectrum ? config.double("statistics.zero_tolerance") : nil
        o.marchenkoPasturRatio = positiveSpectrum ? ratio : nil
        switch config.string("statistics.unfolding") {
        case "semicircle": o.unfolding = .semicircle
        case "marchenko-pastur": o.unfolding = .marchenkoPastur(ratio: min(max(ratio, 1e-12), 1))
        default: o.unfolding = .polynomial(degree: config.int("statistics.degree"))
        }
        o.spacingBins = config.int("statistics.spacing_bins")
        o.spacingMax = config.double("statistics.spacing_max")
        o.ratioBins = config.int("statistics.ratio_bins")
        let l = config.doubles("statistics.lengths"), count = config.int("statistics.length_count")
        o.lengths = count == 1 ? [l[0]] : (0 ..< count).map { l[0] + (l[1] - l[0]) * Double($0) / Double(count - 1) }
        o.windows = config.int("statistics.windows")
        o.tauMax = config.double("statistics.tau_max")
        o.tauPoints = config.int("statistics.tau_points")
        o.tauSmoothing = config.int("statistics.tau_smoothing")
        let r = config.ints("statistics.power_law_ranks")
        o.powerLawRanks = r == [0, 0] ? nil : r[0] ... r[1]
        o.powerLawMinimumR2 = config.double("statistics.power_law_min_r2")
        return o
    }
}
