import JobKit
import Spectra

/// The `statistics.*` keys shared by the `covariance` and `rmt-sweep` kinds.
public struct StatisticsParameters: ParameterSet {
    /// Unfolding methods, as job-file choices.
    public enum UnfoldingChoice: String, ParameterChoice {
        case polynomial, semicircle, marchenkoPastur = "marchenko-pastur", spline, log, local
    }
    /// What the spacing statistics do with multiplets.
    public enum MultipletChoice: String, ParameterChoice { case keep, reduce }
    /// How α is reported.
    public enum ConventionChoice: String, ParameterChoice { case onePlusAlpha = "one-plus-alpha", alpha }

    @Parameter("statistics.trim_low", .range(0 ... 0.45),
               doc: "Fraction of the (nonzero) levels removed at the low end before unfolding, spacings, gap ratios, Σ², Δ₃ and K(τ); recorded in the output.")
    public var trimLow = 0.1
    @Parameter("statistics.trim_high", .range(0 ... 0.45), doc: "Fraction of the levels removed at the high end (the same statistics).")
    public var trimHigh = 0.1
    @Parameter("statistics.zero_tolerance", .range(0 ... 0.1),
               doc: "Covariance/correlation/Gram spectra: eigenvalues ≤ this × the largest are zero modes and dropped (their count is recorded). Not applied to GOE/GUE/Poisson sources.")
    public var zeroTolerance = 1e-10
    @Parameter("statistics.unfolding",
               doc: "Unfolding: a polynomial fit to the staircase N(λ), the semicircle law, the Marchenko–Pastur law (aspect ratio from the matrix), a monotone spline of N(λ) (spline) or of N(ln λ) (log; spectra spanning decades), or local moving-window unfolding (local). The last three increase by construction.")
    public var unfolding = UnfoldingChoice.polynomial
    @Parameter("statistics.degree", .range(1 ... 30), doc: "Degree of the polynomial unfolding.")
    public var degree = 9
    @Parameter("statistics.knot_levels", .range(2 ... 100_000),
               doc: "spline and log unfolding: levels per knot block (the smoothing scale; Σ²(L) is reliable for L well below it, and the density must not change much within it).")
    public var knotLevels = 25
    @Parameter("statistics.local_window", .range(2 ... 100_000), doc: "local unfolding: spacings in the moving window whose mean divides each spacing.")
    public var localWindow = 25
    @Parameter("statistics.multiplets",
               doc: "Degenerate and near-degenerate levels (multiplets, e.g. the ±k pairs of periodic data): keep every level, or reduce each multiplet to one level (its mean) before trimming, unfolding and every spacing statistic. Their count is recorded either way.")
    public var multiplets = MultipletChoice.keep
    @Parameter("statistics.multiplet_tolerance", .range(0 ... 1),
               doc: "Adjacent levels closer than this × the local mean spacing (mean of multiplet_window spacings centred on the pair) belong to one multiplet.")
    public var multipletTolerance = 1e-6
    @Parameter("statistics.multiplet_window", .range(1 ... 100_000), doc: "Spacings in the local mean spacing of the multiplet test.")
    public var multipletWindow = 20
    @Parameter("statistics.significance", .range(1e-12 ... 0.5),
               doc: "Marchenko–Pastur fit: levels above the Tracy–Widom (β = 1) quantile 1 − significance of the largest noise level count as signal.")
    public var significance = 0.05
    @Parameter("statistics.spacing_bins", .range(2 ... 10000), doc: "Bins of the nearest-neighbour spacing histogram on [0, spacing_max].")
    public var spacingBins = 40
    @Parameter("statistics.spacing_max", .range(0.1 ... 100), doc: "Upper end of the spacing histogram, in mean spacings.")
    public var spacingMax = 4.0
    @Parameter("statistics.ratio_bins", .range(2 ... 10000), doc: "Bins of the gap-ratio histogram on [0, 1].")
    public var ratioBins = 20
    @Parameter("statistics.lengths", .count(2 ... 2),
               doc: "[L_min, L_max] of the number variance Σ²(L) and rigidity Δ₃(L), in mean spacings; L_max below the number of kept levels.")
    public var lengths = [1.0, 20.0]
    @Parameter("statistics.length_count", .range(1 ... 1000), doc: "Number of equally spaced L values from L_min to L_max.")
    public var lengthCount = 20
    @Parameter("statistics.windows", .range(1 ... 1_000_000), doc: "Window starts per L: a deterministic, equally spaced grid over the unfolded spectrum.")
    public var windows = 1000
    @Parameter("statistics.tau_max", .range(0.01 ... 1000), doc: "Largest τ of the spectral form factor, in Heisenberg times.")
    public var tauMax = 2.5
    @Parameter("statistics.tau_points", .range(1 ... 100_000), doc: "Bins of τ in (0, tau_max].")
    public var tauPoints = 50
    @Parameter("statistics.tau_smoothing", .range(1 ... 1000), doc: "τ values averaged in each bin (running average in place of an ensemble average).")
    public var tauSmoothing = 8
    @Parameter("statistics.power_law_ranks", .count(2 ... 2, element: 0 ... 1 << 40),
               doc: "[first, last] rank (1-based) of the power-law fit; [0, 0] chooses the range automatically.")
    public var powerLawRanks = [0, 0]
    @Parameter("statistics.power_law_min_r2", .range(0 ... 1), doc: "Automatic range: the widest window (≥ 1 decade) whose log-log R² reaches this.")
    public var powerLawMinimumR2 = 0.99
    @Parameter("statistics.power_law_above_noise",
               doc: "Automatic range of a covariance/correlation/Gram spectrum: end it at the last level above the Marchenko–Pastur noise edge (the Tracy–Widom threshold) when at least 10 levels are above it, excluding the sampling-noise tail.")
    public var powerLawAboveNoise = true
    @Parameter("statistics.power_law_convention",
               doc: "How α is reported: one-plus-alpha (λ_i ∝ i^−(1+α), Cascade's original) or alpha (λ_i ∝ i^−α, the literature's); recorded as the attribute power_law_convention.")
    public var powerLawConvention = ConventionChoice.onePlusAlpha

    public init() {}

    /// Cross-key checks of the statistics keys.
    func problems() -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        if trimLow + trimHigh >= 0.9 {
            problems.append(ConfigProblem($trimHigh, "trim_low + trim_high leaves less than 10% of the levels",
                                          fix: "use trims that add up to less than 0.9"))
        }
        let l = lengths
        if !(l[0] > 0 && l[1] >= l[0] && l[1] <= 1e6) {
            problems.append(ConfigProblem($lengths, "needs 0 < L_min ≤ L_max ≤ 10⁶, found \(l)", fix: "use e.g. [1, 20]"))
        }
        let r = powerLawRanks
        if !(r == [0, 0] || (r[0] >= 1 && r[1] >= r[0] + 2)) {
            problems.append(ConfigProblem($powerLawRanks, "\(r) is not a range of at least 3 ranks",
                                          fix: "use [first, last] with 1 ≤ first and last ≥ first + 2, or [0, 0] for automatic"))
        }
        return problems
    }

    /// Checks against the number of levels of a spectrum when it is known before the run
    /// (reference spectra, synthetic samples): Σ²(L) and Δ₃(L) need L_max below the levels kept
    /// after trimming, and the power-law fit needs ranks that exist. `source` names the spectrum.
    func problems(levels: Int, source: String) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let kept = Int(Double(levels) * max(0, 1 - trimLow - trimHigh))
        // Spectra too small for any spacing statistic run and report every statistic as undefined
        // (NaN with the reason); only a length that a usable spectrum cannot reach is a mistake.
        if lengths.count == 2, kept >= SpectralAnalysis.minimumKeptLevels, lengths[1] >= Double(kept) {
            problems.append(ConfigProblem($lengths,
                "L_max = \(lengths[1]) is not below the \(kept) levels kept of \(source) (\(levels) levels, trims \(trimLow) and \(trimHigh)): Σ² and Δ₃ would be undefined (NaN)",
                fix: "use L_max ≤ \(max(1, kept / 4)), e.g. [1, \(max(1, min(20, kept / 4)))], or more levels"))
        }
        if powerLawRanks.count == 2, powerLawRanks != [0, 0], powerLawRanks[1] > levels {
            problems.append(ConfigProblem($powerLawRanks, "last rank \(powerLawRanks[1]) is beyond the \(levels) levels of \(source)",
                                          fix: "use ranks within 1...\(levels), or [0, 0] for automatic"))
        }
        return problems
    }

    /// The analysis options. `ratio` is the aspect ratio for Marchenko–Pastur unfolding and, for
    /// a positive spectrum, for the Marchenko–Pastur (GOE/GUE) references of the rank-ordered
    /// spectrum; `positiveSpectrum` turns on zero-mode removal; `wishart` (positive spectra of data) turns on
    /// the Marchenko–Pastur fit and the Tracy–Widom test.
    func options(ratio: Double, positiveSpectrum: Bool, wishart: WishartShape? = nil) -> AnalysisOptions {
        var o = AnalysisOptions()
        o.trimLow = trimLow
        o.trimHigh = trimHigh
        o.zeroTolerance = positiveSpectrum ? zeroTolerance : nil
        o.marchenkoPasturRatio = positiveSpectrum ? ratio : nil
        switch unfolding {
        case .semicircle: o.unfolding = .semicircle
        case .marchenkoPastur: o.unfolding = .marchenkoPastur(ratio: min(max(ratio, 1e-12), 1))
        case .polynomial: o.unfolding = .polynomial(degree: degree)
        case .spline: o.unfolding = .spline(knotLevels: knotLevels)
        case .log: o.unfolding = .logarithmic(knotLevels: knotLevels)
        case .local: o.unfolding = .local(window: localWindow)
        }
        o.multiplets = multiplets == .reduce ? .reduce : .keep
        o.multipletTolerance = multipletTolerance
        o.multipletWindow = multipletWindow
        o.wishart = positiveSpectrum ? wishart : nil
        o.significance = significance
        o.powerLawAboveNoise = powerLawAboveNoise
        o.powerLawConvention = powerLawConvention == .alpha ? .alpha : .onePlusAlpha
        o.spacingBins = spacingBins
        o.spacingMax = spacingMax
        o.ratioBins = ratioBins
        let l = lengths, count = lengthCount
        o.lengths = count == 1 ? [l[0]] : (0 ..< count).map { l[0] + (l[1] - l[0]) * Double($0) / Double(count - 1) }
        o.windows = windows
        o.tauMax = tauMax
        o.tauPoints = tauPoints
        o.tauSmoothing = tauSmoothing
        let r = powerLawRanks
        o.powerLawRanks = r == [0, 0] ? nil : r[0] ... r[1]
        o.powerLawMinimumR2 = powerLawMinimumR2
        return o
    }
}
