import Foundation

/// What ``SpectralAnalysis`` computes and how.
public struct AnalysisOptions: Sendable {
    /// Fraction of the levels removed at the low and at the high end before unfolding-based statistics.
    public var trimLow = 0.1
    public var trimHigh = 0.1
    /// For positive semi-definite spectra (covariance, Gram): drop eigenvalues ≤ this times the largest
    /// (the zero modes of a rank-deficient matrix). Nil keeps every level (GOE/GUE/Poisson spectra).
    public var zeroTolerance: Double? = nil
    /// Marchenko–Pastur aspect ratio of a positive semi-definite spectrum (features/samples for a covariance,
    /// samples/features for a Gram matrix; a ratio > 1 is inverted), used by the GOE/GUE references of the
    /// rank-ordered spectrum. Nil estimates it from the spectrum's moments (var/mean²). Unused when
    /// `zeroTolerance` is nil (the semicircle is used then).
    public var marchenkoPasturRatio: Double? = nil
    /// How levels are unfolded.
    public var unfolding = UnfoldingMethod.polynomial(degree: 9)
    /// Nearest-neighbour spacing histogram: bins on [0, spacingMax].
    public var spacingBins = 40
    public var spacingMax = 4.0
    /// Gap-ratio histogram bins on [0, 1].
    public var ratioBins = 20
    /// Window lengths L of Σ²(L) and Δ₃(L), in mean spacings.
    public var lengths: [Double] = (1 ... 20).map(Double.init)
    /// Window starts per L (a deterministic grid).
    public var windows = 1000
    /// Spectral form factor: `tauPoints` bins on (0, tauMax], each the average of `tauSmoothing` τ.
    public var tauMax = 2.5
    public var tauPoints = 50
    public var tauSmoothing = 8
    /// Power-law fit ranks (1-based, inclusive), or nil for the automatic range.
    public var powerLawRanks: ClosedRange<Int>? = nil
    /// Smallest R² the automatic power-law range accepts.
    public var powerLawMinimumR2 = 0.99
    /// How α is reported: λ_i ∝ i^{−(1+α)} (``PowerLawConvention/onePlusAlpha``) or i^{−α}.
    public var powerLawConvention = PowerLawConvention.onePlusAlpha
    /// Automatic range only: end it at the last rank above the Marchenko–Pastur noise edge — the Tracy–Widom
    /// threshold, ``MarchenkoPasturFit/significant`` — when at least ``PowerLaw/minimumAutomaticLevels`` ranks are
    /// above it (the sampling-noise tail excluded); otherwise every positive level, as without a fit.
    public var powerLawAboveNoise = true
    /// Degenerate levels: kept, or one level per multiplet before unfolding and the spacing statistics.
    public var multiplets = MultipletMode.keep
    /// A spacing at most this times the local mean spacing joins its levels into a multiplet.
    public var multipletTolerance = 1e-6
    /// Spacings in the local mean of a multiplet test (see ``MultipletSummary``).
    public var multipletWindow = 20
    /// The white-Wishart shape of a positive semi-definite spectrum, for the Marchenko–Pastur fit, the edge
    /// count and the Tracy–Widom test; nil skips them (reference spectra, or no shape known).
    public var wishart: WishartShape? = nil
    /// Significance level of the Tracy–Widom signal threshold.
    public var significance = 0.05

    public init() {}
}

/// A statistic with its values and its three reference curves at the same abscissae.
public struct ReferencedCurve: Sendable, Equatable {
    /// Abscissae (bin centres, L or τ).
    public var x: [Double]
    /// The statistic measured on the spectrum.
    public var measured: [Double]
    /// Poisson, GOE and GUE at the same x, in ``ReferenceEnsemble/allCases`` order.
    public var references: [ReferenceEnsemble: [Double]]
}

/// Every statistic of one spectrum (see docs/rmt.md for the definitions).
public struct SpectralAnalysis: Sendable {
    /// Levels given, dropped as zero modes, trimmed at the low and high ends, and kept.
    public var levelCount: Int
    public var zerosDropped: Int
    public var trimmedLow: Int
    public var trimmedHigh: Int
    public var keptCount: Int
    /// Positive eigenvalues in descending order and the bulk power-law fit (nil when undefined: see ``undefined``).
    public var rankOrdered: [Double]
    public var powerLaw: PowerLawFit?
    /// Poisson/GOE/GUE references of `rankOrdered`, of `powerLaw` (same ranks) and of the entropy.
    public var rankOrderedReference: RankOrderedReference
    /// The kept levels after unfolding.
    public var unfolded: [Double]
    /// Spacing density histogram (edges in `spacingEdges`) with Poisson/GOE/GUE and the fitted Brody curve.
    public var spacing: ReferencedCurve
    public var spacingEdges: [Double]
    public var brodyBeta: Double
    public var brodyCurve: [Double]
    /// KS distances of the spacings to each reference and to the fitted Brody law.
    public var ksDistance: [ReferenceEnsemble: Double]
    public var ksBrody: Double
    /// Adjacent gap ratio: mean, histogram (edges in `ratioEdges`) and references.
    public var meanGapRatio: Double
    public var gapRatio: ReferencedCurve
    public var ratioEdges: [Double]
    /// Number variance Σ²(L) and rigidity Δ₃(L).
    public var numberVariance: ReferencedCurve
    public var rigidity: ReferencedCurve
    /// Spectral form factor K(τ).
    public var formFactor: ReferencedCurve
    /// Spectral entropy (nats), effective rank e^H and participation ratio of the positive eigenvalues.
    public var entropy: Double
    public var effectiveRank: Double
    public var participationRatio: Double
    /// The multiplets of the nonzero levels and what was done with them (``AnalysisOptions/multiplets``);
    /// the trimming, unfolding, spacing, gap-ratio, Σ², Δ₃ and K(τ) statistics use the reduced levels under
    /// `reduce`, the rank-ordered spectrum, power law, entropy and Marchenko–Pastur fit always every level.
    public var multiplets: MultipletSummary
    /// The Marchenko–Pastur fit of the nonzero levels (nil without ``AnalysisOptions/wishart`` or with too few levels).
    public var marchenkoPastur: MarchenkoPasturFit?
    /// The convention α is reported in, and the rule that chose the power law's last rank (a sentence).
    public var powerLawConvention: PowerLawConvention
    public var powerLawRangeRule: String
    /// The unfolding used (the one asked for, or the lower-degree polynomial that replaced it).
    public var unfoldingMethod: UnfoldingMethod
    public var unfoldingName: String
    /// Why the unfolding asked for was replaced (see ``Unfolding/unfoldChecked(_:kept:method:)``); nil if it was not.
    public var unfoldingFallback: String?
    /// The statistics this spectrum does not determine (NaN in the results), with the reasons.
    public var undefined: [UndefinedStatistic]

    /// Analyses the eigenvalues `levels` (any order; sorted here).
    public init(levels input: [Double], options o: AnalysisOptions) {
        var levels = input.sorted()
        levelCount = levels.count
        if let tol = o.zeroTolerance, let top = levels.last {
            let before = levels.count
            levels = levels.filter { $0 > tol * top }
            zerosDropped = before - levels.count
        } else {
            zerosDropped = 0
        }
        var undefined: [UndefinedStatistic] = []
        rankOrdered = PowerLaw.rankOrdered(levels)
        let positive = levels.filter { $0 > 0 }
        marchenkoPastur = o.wishart.flatMap { MarchenkoPasturFit.fit(positive, shape: $0, significance: o.significance) }
        if o.wishart != nil && marchenkoPastur == nil {
            undefined.append(UndefinedStatistic("marchenko_pastur", "\(positive.count) positive levels (at least \(MarchenkoPasturFit.minimumLevels) needed) or a Wishart shape with fewer than 2 samples or features"))
        }
        powerLawConvention = o.powerLawConvention
        var lastRank: Int? = nil
        if o.powerLawRanks != nil {
            powerLawRangeRule = "given ranks (statistics.power_law_ranks)"
        } else if !o.powerLawAboveNoise {
            powerLawRangeRule = "R² only: every positive level"
        } else if let mp = marchenkoPastur {
            if mp.significant >= PowerLaw.minimumAutomaticLevels {
                lastRank = mp.significant
                powerLawRangeRule = "ranks above the Marchenko–Pastur noise edge (the Tracy–Widom threshold \(mp.threshold)): 1…\(mp.significant)"
            } else {
                powerLawRangeRule = "every positive level: \(mp.significant) above the Marchenko–Pastur noise edge (Tracy–Widom threshold), fewer than \(PowerLaw.minimumAutomaticLevels)"
            }
        } else {
            powerLawRangeRule = "every positive level: no Marchenko–Pastur fit"
        }
        if let reason = PowerLaw.undefinedReason(rankOrdered, ranks: o.powerLawRanks) {
            powerLaw = nil
            undefined.append(UndefinedStatistic("power_law", reason))
        } else if let r = o.powerLawRanks {
            powerLaw = PowerLaw.fit(rankOrdered, ranks: r)
        } else {
            powerLaw = PowerLaw.automaticFit(Array(rankOrdered.prefix(lastRank ?? rankOrdered.count)), minimumR2: o.powerLawMinimumR2)
            if powerLaw == nil { undefined.append(UndefinedStatistic("power_law", "no window of the automatic range has unequal levels")) }
        }
        rankOrderedReference = RankOrderedReference(ascending: levels, positiveSemidefinite: o.zeroTolerance != nil,
                                                    ratio: o.marchenkoPasturRatio, fitRanks: powerLaw.map { $0.firstRank ... $0.lastRank })
        (entropy, effectiveRank, participationRatio) = SpectralEntropy.compute(levels)
        if rankOrdered.isEmpty { undefined.append(UndefinedStatistic("entropy", "no positive levels")) }

        // The spacing statistics' levels: every nonzero level, or one per multiplet.
        multiplets = MultipletSummary(levels, mode: o.multiplets, tolerance: o.multipletTolerance, window: o.multipletWindow)
        if o.multiplets == .reduce { levels = multiplets.reduced(levels) }

        let n = levels.count
        trimmedLow = Int((o.trimLow * Double(n)).rounded(.down))
        trimmedHigh = Int((o.trimHigh * Double(n)).rounded(.down))
        let keptRange = trimmedLow ..< max(n - trimmedHigh, trimmedLow)
        keptCount = keptRange.count
        let ensembles = ReferenceEnsemble.allCases
        func nans(_ count: Int) -> [Double] { [Double](repeating: .nan, count: count) }
        func curve(_ x: [Double], _ measured: [Double], _ reference: (ReferenceEnsemble, Double) -> Double) -> ReferencedCurve {
            ReferencedCurve(x: x, measured: measured, references: Dictionary(uniqueKeysWithValues: ensembles.map { e in (e, x.map { reference(e, $0) }) }))
        }

        // Unfolding and the statistics of unfolded levels, when the kept levels determine them.
        var unfoldedReason = SpectralAnalysis.keptLevelsReason(levels[keptRange])
        var s: [Double] = []
        if unfoldedReason == nil {
            let u = Unfolding.unfoldChecked(levels, kept: keptRange, method: o.unfolding)
            unfolded = u.levels
            unfoldingMethod = u.method
            unfoldingName = u.method.name
            unfoldingFallback = u.fallback
            s = Spacings.normalised(unfolded)
            if !(s.reduce(0, +) > 0) { unfoldedReason = "the unfolded levels have zero mean spacing (all kept levels outside the density's support?)" }
        } else {
            unfolded = []
            unfoldingMethod = o.unfolding
            unfoldingName = o.unfolding.name
            unfoldingFallback = nil
        }
        let lengths = o.lengths
        let tauWidth = o.tauMax / Double(o.tauPoints)
        let tauGrid = (0 ..< o.tauPoints).map { tauWidth * (Double($0) + 0.5) }
        let sh = Histogram(s, lower: 0, upper: o.spacingMax, bins: o.spacingBins)
        spacingEdges = sh.edges
        if let reason = unfoldedReason {
            undefined.append(UndefinedStatistic("unfolded", reason))
            unfolded = []
            spacing = curve(sh.centres, nans(o.spacingBins)) { $0.spacingDensity($1) }
            brodyBeta = .nan
            brodyCurve = nans(o.spacingBins)
            ksDistance = Dictionary(uniqueKeysWithValues: ensembles.map { ($0, Double.nan) })
            ksBrody = .nan
            numberVariance = curve(lengths, nans(lengths.count)) { $0.numberVariance($1) }
            rigidity = curve(lengths, nans(lengths.count)) { $0.rigidity($1) }
            formFactor = curve(tauGrid, nans(o.tauPoints)) { $0.formFactor($1) }
        } else {
            spacing = curve(sh.centres, sh.density) { $0.spacingDensity($1) }
            brodyBeta = Spacings.fitBrody(s)
            let beta = brodyBeta
            brodyCurve = sh.centres.map { Spacings.brodyDensity($0, beta: beta) }
            ksDistance = Dictionary(uniqueKeysWithValues: ensembles.map { e in (e, Spacings.ksDistance(s, cdf: e.spacingCDF)) })
            ksBrody = Spacings.ksDistance(s) { Spacings.brodyCDF($0, beta: beta) }
            let unfoldedLevels = unfolded
            numberVariance = curve(lengths, lengths.map { LongRangeStatistics.numberVariance(unfoldedLevels, length: $0, windows: o.windows) }) { $0.numberVariance($1) }
            rigidity = curve(lengths, LongRangeStatistics.rigidity(unfoldedLevels, lengths: lengths, windows: o.windows)) { $0.rigidity($1) }
            let ff = FormFactor.compute(unfolded, tauMax: o.tauMax, points: o.tauPoints, smoothing: o.tauSmoothing)
            formFactor = curve(ff.tau, ff.k) { $0.formFactor($1) }
        }

        // Gap ratios on the kept (not unfolded) levels.
        let r = SpectralAnalysis.keptLevelsReason(levels[keptRange]) == nil ? GapRatio.ratios(Array(levels[keptRange])) : []
        let rh = Histogram(r, lower: 0, upper: 1, bins: o.ratioBins)
        ratioEdges = rh.edges
        if r.isEmpty {
            undefined.append(UndefinedStatistic("gap_ratio", SpectralAnalysis.keptLevelsReason(levels[keptRange]) ?? "every spacing of the kept levels is zero"))
            meanGapRatio = .nan
            gapRatio = curve(rh.centres, nans(o.ratioBins)) { $0.gapRatioDensity($1) }
        } else {
            meanGapRatio = r.reduce(0, +) / Double(r.count)
            gapRatio = curve(rh.centres, rh.density) { $0.gapRatioDensity($1) }
        }

        self.undefined = undefined
    }

    /// Names of ``scalars``, in order (the columns of the sweep convergence tables).
    public static func scalarNames(lengths: [Double]) -> [String] {
        var names = ["kept_levels", "alpha", "alpha_r2", "alpha_first_rank", "alpha_last_rank", "mean_gap_ratio",
                     "brody_beta", "ks_poisson", "ks_goe", "ks_gue", "ks_brody", "entropy", "effective_rank",
                     "participation_ratio", "unfolding_fallback", "multiplets", "distinct_levels", "mp_sigma2", "mp_above_edge",
                     "mp_significant", "tw_statistic", "tw_p_value"]
        for l in lengths { names.append("sigma2_L\(formatLength(l))") }
        for l in lengths { names.append("delta3_L\(formatLength(l))") }
        for statistic in ["alpha", "entropy", "effective_rank", "participation_ratio"] {
            for e in ReferenceEnsemble.allCases { names.append("\(statistic)_\(e.rawValue)") }
        }
        return names
    }

    /// The scalar statistics as one vector (order of ``scalarNames(lengths:)``); `unfolding_fallback` is 1 when
    /// the unfolding asked for was replaced, else 0; α in ``powerLawConvention``; the Marchenko–Pastur columns
    /// NaN without a fit.
    public var scalars: [Double] {
        let mp = marchenkoPastur
        var v: [Double] = [Double(keptCount), alpha(powerLaw), powerLaw?.r2 ?? .nan,
                           Double(powerLaw?.firstRank ?? 0), Double(powerLaw?.lastRank ?? 0), meanGapRatio,
                           brodyBeta, ksDistance[.poisson]!, ksDistance[.goe]!, ksDistance[.gue]!, ksBrody,
                           entropy, effectiveRank, participationRatio, unfoldingFallback == nil ? 0 : 1,
                           Double(multiplets.count), Double(multiplets.distinctLevels), mp?.sigma2 ?? .nan,
                           mp.map { Double($0.aboveEdge) } ?? .nan, mp.map { Double($0.significant) } ?? .nan,
                           mp?.tracyWidomStatistic ?? .nan, mp?.tracyWidomPValue ?? .nan]
        v += numberVariance.measured
        v += rigidity.measured
        let r = rankOrderedReference, ensembles = ReferenceEnsemble.allCases
        v += ensembles.map { alpha(r.powerLaw[$0]) }
        v += ensembles.map { r.entropy[$0]?.entropy ?? .nan }
        v += ensembles.map { r.entropy[$0]?.effectiveRank ?? .nan }
        v += ensembles.map { r.entropy[$0]?.participationRatio ?? .nan }
        return v
    }

    /// The exponent of `fit` in ``powerLawConvention`` (NaN without a fit).
    public func alpha(_ fit: PowerLawFit?) -> Double {
        fit.map { powerLawConvention.exponent($0.alpha) } ?? .nan
    }

    static func formatLength(_ l: Double) -> String {
        l == l.rounded() ? String(Int(l)) : String(format: "%g", l)
    }
}
