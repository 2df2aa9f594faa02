/// A statistic that a spectrum does not determine (its values are NaN), and why.
public struct UndefinedStatistic: Sendable, Equatable {
    /// Which statistic: one of ``SpectralAnalysis/statisticGroups``.
    public var statistic: String
    /// Why it is undefined, as a sentence fragment ("4 kept levels, fewer than 10").
    public var reason: String

    public init(_ statistic: String, _ reason: String) {
        self.statistic = statistic
        self.reason = reason
    }
}

extension SpectralAnalysis {
    /// Fewest kept levels for the unfolding, the statistics of unfolded levels and the gap ratio: below
    /// this the histograms, KS distances, Brody fit, Σ², Δ₃ and K(τ) would rest on a handful of spacings.
    public static let minimumKeptLevels = 10

    /// The groups of statistics that can be undefined:
    /// `power_law` (α, its R², ranks and the references' α), `unfolded` (spacing histogram, Brody β,
    /// KS distances, Σ², Δ₃, K(τ)), `gap_ratio` (mean and histogram), `entropy` (entropy, effective rank,
    /// participation ratio), `marchenko_pastur` (σ², edges, counts, Tracy–Widom test: only when a Wishart
    /// shape was given).
    public static let statisticGroups = ["power_law", "unfolded", "gap_ratio", "entropy", "marchenko_pastur"]

    /// Every warning, one sentence each: the unfolding fallback and each undefined statistic.
    public var warnings: [String] {
        (unfoldingFallback.map { [$0] } ?? []) + undefined.map { "\($0.statistic) statistics undefined (NaN): \($0.reason)" }
    }

    /// Why the statistics of the kept levels are undefined, or nil when they are defined.
    static func keptLevelsReason(_ kept: ArraySlice<Double>) -> String? {
        if kept.count < minimumKeptLevels { return "\(kept.count) kept levels, fewer than \(minimumKeptLevels)" }
        if kept.first == kept.last { return "the \(kept.count) kept levels are all equal (no spread to unfold)" }
        return nil
    }
}
