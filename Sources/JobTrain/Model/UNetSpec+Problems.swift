import JobKit
import Learning

extension UNetSpec {
    /// A rule Learning's ``UNet/Configuration/problems(side:)`` found broken, worded with the job
    /// file's names: `key` is the layer table's key to name (nil: the layer itself), then the
    /// message and the fix.
    func wording(of problem: UNet.ConfigurationProblem) -> (key: String?, message: String, fix: String) {
        switch problem {
        case .oddChannels(let c):
            return ("channels", "is \(c); the sinusoidal time embedding has one sine and one cosine per frequency",
                    "use an even channel count such as \(c + 1)")
        case let .multiplierCount(m, l):
            return ("multipliers", "has \(m.count) entries for \(l) levels",
                    "give one multiplier per level, e.g. \((0 ..< l).map { $0 == 0 ? 1 : 2 }), or leave it out")
        case let .sideNotMultiple(n, levels, factor):
            return (nil, "\(levels) levels halve the \(n) × \(n) field \(levels - 1) times: the side must be a multiple of \(factor)",
                    "use levels ≤ \(n.trailingZeroBitCount + 1), or coarsen the data to a side that is a multiple of \(factor)")
        case let .groupsDoNotDivide(groups, c, bad):
            // The base count divides every level's (c_l = channels · multiplier).
            return (nil, "groups = \(groups) must divide every level's channels \(c) (\(bad) is not a multiple)",
                    "use groups that divide channels × every multiplier, e.g. \(channels)")
        case let .headsDoNotDivide(heads, lowest):
            return (nil, "heads = \(heads) must divide the lowest level's \(lowest) channels", "use heads dividing \(lowest)")
        }
    }
}
