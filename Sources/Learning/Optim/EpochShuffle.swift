import CounterRNG

/// The order of the samples `0 ..< count` in each epoch: a Fisher–Yates shuffle driven by
/// Philox keyed by (seed, epoch, index), so every rank computes the same permutation without
/// communication and the order does not depend on the number of ranks.
///
/// Draws: `CounterRNG(seed: seed, stream: salt | epoch)`; the swap partner of position `i`
/// (i = count-1 down to 1) is `⌊bits(at: i) · (i+1) / 2⁶⁴⌋` in `0 ... i` (multiply-shift,
/// bias below `count / 2⁶⁴`). The salt (ASCII "SHUF" in the high word) keeps these streams
/// apart from other uses of the same seed with small stream numbers.
public struct EpochShuffle: Sendable, Equatable {
    public let count: Int
    public let seed: UInt64
    static let salt: UInt64 = 0x5348_5546 << 32

    public init(count: Int, seed: UInt64) {
        precondition(count >= 0, "count must be ≥ 0")
        self.count = count
        self.seed = seed
    }

    /// The permutation of `0 ..< count` for `epoch` (0 ≤ epoch < 2³²).
    public func permutation(epoch: Int) -> [Int] {
        precondition(epoch >= 0 && epoch < 1 << 32, "epoch must be in 0 ..< 2^32")
        let rng = CounterRNG(seed: seed, stream: Self.salt | UInt64(epoch))
        var order = Array(0 ..< count)
        var i = count - 1
        while i > 0 {
            let j = Int(rng.bits(at: UInt64(i)).multipliedFullWidth(by: UInt64(i + 1)).high)
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }
}

/// Global batches of an epoch's order and each rank's share of them.
///
/// Global batch `b` of size `B` is `order[b·B ..< min((b+1)·B, n)]`. Its `m` indices are split
/// over `P` ranks in contiguous slices: with `q = m / P` and `r = m % P`, ranks `0 ..< r` take
/// `q + 1` indices and ranks `r ..< P` take `q`, in rank order, so the shares of ranks
/// 0, 1, …, P-1 concatenate to the global batch (a rank may get none when m < P).
public enum BatchSharding {
    /// Number of global batches of `batchSize` in `count` samples; the incomplete last one is
    /// counted unless `dropLast`.
    public static func batchCount(count: Int, batchSize: Int, dropLast: Bool = false) -> Int {
        precondition(count >= 0 && batchSize > 0, "need count ≥ 0 and batchSize > 0")
        return dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    /// Positions of global batch `batch` in the epoch's order.
    public static func globalRange(batch: Int, batchSize: Int, count: Int) -> Range<Int> {
        precondition(batchSize > 0 && batch >= 0 && batch * batchSize < max(count, 1), "batch \(batch) out of range")
        return batch * batchSize ..< min((batch + 1) * batchSize, count)
    }

    /// Rank `rank`'s slice of `0 ..< count` among `ranks` ranks (remainder to the lowest ranks).
    public static func shareRange(rank: Int, ranks: Int, count: Int) -> Range<Int> {
        precondition(ranks > 0 && (0 ..< ranks).contains(rank) && count >= 0, "need 0 ≤ rank < ranks and count ≥ 0")
        let q = count / ranks, r = count % ranks
        let start = rank * q + min(rank, r)
        return start ..< start + q + (rank < r ? 1 : 0)
    }

    /// The sample indices rank `rank` of `ranks` processes in global batch `batch` of `order`.
    public static func rankShare(of order: [Int], batch: Int, batchSize: Int, rank: Int, ranks: Int) -> ArraySlice<Int> {
        let global = globalRange(batch: batch, batchSize: batchSize, count: order.count)
        let share = shareRange(rank: rank, ranks: ranks, count: global.count)
        return order[(global.lowerBound + share.lowerBound) ..< (global.lowerBound + share.upperBound)]
    }
}
