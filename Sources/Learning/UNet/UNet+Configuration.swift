/// What a U-Net's sizes imply, known once here for every job kind that describes one (the train
/// kind from job keys, the sampler from a training file's attributes): which combinations the
/// network cannot be built with, and what it costs in parameters and activations.
extension UNet {
    /// A rule a ``UNet/Configuration`` breaks, with the numbers involved, so that each caller can
    /// word it with its own names (job keys, file attributes).
    public enum ConfigurationProblem: Equatable, Sendable {
        /// The base channel count is odd; the sinusoidal time embedding (one sine and one cosine
        /// per frequency) needs an even width.
        case oddChannels(channels: Int)
        /// `multipliers` does not have one entry per level.
        case multiplierCount(multipliers: [Int], levels: Int)
        /// The field's side cannot be halved levels − 1 times: it is not a multiple of
        /// `factor` = 2^(levels−1).
        case sideNotMultiple(side: Int, levels: Int, factor: Int)
        /// The GroupNorm groups do not divide every level's channels (`firstBad` is the first
        /// level's count that is not a multiple).
        case groupsDoNotDivide(groups: Int, levelChannels: [Int], firstBad: Int)
        /// With attention, the heads do not divide the lowest level's channels.
        case headsDoNotDivide(heads: Int, lowestChannels: Int)
    }
}

extension UNet.Configuration {
    /// Every rule these sizes break on square fields of side `side` (nil: skip the side rule), in
    /// the order: odd channels, multiplier count, side, groups, heads. Empty means `UNet(field:
    /// configuration:)` builds on such fields.
    ///
    /// The sizes themselves (levels, channels, multipliers, blocks, groups, heads ≥ 1) are the
    /// callers' range checks, as `UNet`'s initialiser traps otherwise; a rule whose inputs are
    /// out of those ranges is skipped here, not trapped on.
    public func problems(side: Int?) -> [UNet.ConfigurationProblem] {
        var found: [UNet.ConfigurationProblem] = []
        if channels % 2 != 0 { found.append(.oddChannels(channels: channels)) }
        if multipliers.count != levels { found.append(.multiplierCount(multipliers: multipliers, levels: levels)) }
        if let side, levels >= 1, levels <= Int.bitWidth - 1 {
            let factor = 1 << (levels - 1)
            if side % factor != 0 { found.append(.sideNotMultiple(side: side, levels: levels, factor: factor)) }
        }
        let c = levelChannels
        if groups >= 1, let bad = c.first(where: { $0 % groups != 0 }) {
            found.append(.groupsDoNotDivide(groups: groups, levelChannels: c, firstBad: bad))
        }
        if attention, attentionHeads >= 1, let lowest = c.last, lowest % attentionHeads != 0 {
            found.append(.headsDoNotDivide(heads: attentionHeads, lowestChannels: lowest))
        }
        return found
    }

    /// Parameters of the U-Net on fields of `fieldChannels` channels, counted layer by layer as
    /// `UNet` builds it (without building it: a job validates a model before any allocation).
    /// Needs `multipliers.count == levels`.
    public func parameterCount(fieldChannels: Int) -> Int {
        let c = levelChannels, e = 4 * channels
        func dense(_ i: Int, _ o: Int) -> Int { i * o + o }
        func conv(_ k: Int, _ i: Int, _ o: Int) -> Int { k * k * i * o + o }
        func block(_ i: Int, _ o: Int) -> Int { 2 * i + conv(3, i, o) + dense(e, o) + 2 * o + conv(3, o, o) + (i != o ? conv(1, i, o) : 0) }
        func level(_ l: Int, input: Int) -> Int {
            var n = 0, inC = input
            for _ in 0 ..< blocksPerLevel { n += block(inC, c[l]); inC = c[l] }
            if l + 1 < levels {
                n += conv(3, c[l], c[l + 1]) + level(l + 1, input: c[l + 1]) + conv(3, c[l + 1], c[l + 1])
                inC = c[l] + c[l + 1]
                for _ in 0 ..< blocksPerLevel { n += block(inC, c[l]); inC = c[l] }
            } else if attention {
                n += 2 * c[l] + conv(1, c[l], 3 * c[l]) + conv(1, c[l], c[l])
            }
            return n
        }
        return dense(channels, e) + dense(e, e) + conv(3, fieldChannels, c[0]) + level(0, input: c[0])
            + 2 * c[0] + conv(3, c[0], fieldChannels)
    }

    /// Floats per sample the layers' outputs hold on `side` × `side` fields, roughly (for memory
    /// estimates): about six buffers of the block's output per residual block plus four, at each
    /// level's resolution (side / 2^l squared; levels above the lowest run their blocks twice).
    /// Int.max when the count does not fit an Int, so a memory check refuses rather than traps.
    /// Needs `multipliers.count == levels`.
    public func activationsPerSample(side n: Int) -> Int {
        let c = levelChannels
        var total = 0
        for l in 0 ..< levels {
            let (points, o0) = (n >> l).multipliedReportingOverflow(by: n >> l)
            let blocksHere = l + 1 < levels ? 2 * blocksPerLevel : blocksPerLevel
            let (buffers, o1) = (6 * blocksHere).addingReportingOverflow(4)
            let (perPoint, o2) = buffers.multipliedReportingOverflow(by: c[l])
            let (term, o3) = perPoint.multipliedReportingOverflow(by: points)
            let (sum, o4) = total.addingReportingOverflow(term)
            if o0 || o1 || o2 || o3 || o4 { return .max }
            total = sum
        }
        return total
    }
}
