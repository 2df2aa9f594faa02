/// What the spacing statistics do with degenerate and near-degenerate levels.
public enum MultipletMode: String, Sendable, CaseIterable {
    /// Every level is kept (a symmetry's exact pairs then give zero spacings: ⟨r̃⟩ and P(s) look Poisson-like).
    case keep
    /// One level per multiplet (the multiplet's mean), before unfolding and every spacing statistic.
    case reduce
}

/// The multiplets of a spectrum: maximal runs of consecutive levels whose adjacent spacings are each at most
/// `tolerance` × the local mean spacing.
///
/// The local mean spacing of spacing i (between levels i and i + 1 of the ascending spectrum, i = 0 … n − 2) is
/// the mean of the `window` spacings centred on it, (E_{j+w} − E_j)/w with j = i − ⌊w/2⌋ moved inside
/// [0, n − 1 − w] at the ends (w = min(window, n − 1)). Exact degeneracies (a symmetry's ±k pairs) have spacings
/// at round-off level, far below any tolerance; near-degenerate ones (a weakly broken symmetry) are caught
/// by a larger tolerance.
public struct MultipletSummary: Sendable, Equatable {
    public var mode: MultipletMode
    public var tolerance: Double
    public var window: Int
    /// The multiplets (runs of ≥ 2 levels), as index ranges of the ascending levels analysed.
    public var groups: [Range<Int>]
    /// Levels analysed (the nonzero levels) and levels that are not in a multiplet plus one per multiplet.
    public var levels: Int
    public var distinctLevels: Int

    /// Number of multiplets (of any size ≥ 2).
    public var count: Int { groups.count }
    /// Levels in multiplets.
    public var levelsInMultiplets: Int { groups.reduce(0) { $0 + $1.count } }
    /// `sizeCounts[k]` multiplets have k + 2 levels (doublets first); empty without multiplets.
    public var sizeCounts: [Int] {
        guard let largest = groups.map(\.count).max() else { return [] }
        var counts = [Int](repeating: 0, count: largest - 1)
        for g in groups { counts[g.count - 2] += 1 }
        return counts
    }

    /// Finds the multiplets of ascending `levels`.
    public init(_ levels: [Double], mode: MultipletMode, tolerance: Double, window: Int) {
        self.mode = mode
        self.tolerance = tolerance
        self.window = window
        self.levels = levels.count
        let n = levels.count
        var groups: [Range<Int>] = []
        if n >= 2 {
            let w = max(1, min(window, n - 1))
            var start = 0
            for i in 0 ..< n - 1 {
                let j = min(max(i - w / 2, 0), n - 1 - w)
                let localMean = (levels[j + w] - levels[j]) / Double(w)
                let close = levels[i + 1] - levels[i] <= tolerance * localMean
                if !close {
                    if i + 1 - start >= 2 { groups.append(start ..< i + 1) }
                    start = i + 1
                }
            }
            if n - start >= 2 { groups.append(start ..< n) }
        }
        self.groups = groups
        distinctLevels = n - groups.reduce(0) { $0 + $1.count - 1 }
    }

    /// `levels` with each multiplet replaced by its mean (ascending order is kept).
    public func reduced(_ levels: [Double]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(distinctLevels)
        var next = 0
        for g in groups {
            out.append(contentsOf: levels[next ..< g.lowerBound])
            out.append(levels[g].reduce(0, +) / Double(g.count))
            next = g.upperBound
        }
        out.append(contentsOf: levels[next...])
        return out
    }
}
