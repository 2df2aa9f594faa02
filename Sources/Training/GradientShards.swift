import Parallel

/// How each gradient bucket is split over the ranks for a sharded optimiser step (ZeRO stage 1):
/// rank k owns one contiguous slice of every bucket, reduces only that slice of the gradient
/// (reduce-scatter), updates only those parameters with optimiser state for them alone, and the
/// updated slices are then gathered by every rank (allgather).
///
/// A bucket of n elements over P ranks is cut into slices of ⌈n/P⌉ rounded up to a multiple of
/// `alignment` elements (the last non-empty slice takes the rest; ranks past it own nothing when
/// the bucket is smaller than P · alignment): balanced to one alignment unit, and every slice but
/// the last starts and ends on a 64-byte boundary of the bucket, so the vectorised optimiser
/// kernels run on whole lines. A rank's owned slices are packed, bucket after bucket, in its
/// `ownedCount`-long state (and reduced-gradient) buffer. The plan depends only on the bucket
/// plan and the rank count: every rank builds the same one.
public struct GradientShardPlan: Sendable, Equatable {
    /// One bucket's split.
    public struct Bucket: Sendable, Equatable {
        /// Elements of each rank's slice, in rank order (sum: the bucket's size).
        public let counts: [Int]
        /// Offset of each rank's slice within the bucket.
        public let offsets: [Int]
        /// This rank's slice in the flat parameter (and gradient) buffer.
        public let owned: Range<Int>
        /// Where this rank's slice starts in its packed state buffer.
        public let stateOffset: Int
    }

    /// Per bucket of the bucket plan, in the same order.
    public let buckets: [Bucket]
    /// Elements this rank owns over all buckets (the length of its optimiser state).
    public let ownedCount: Int
    /// Slice granularity in elements.
    public let alignment: Int

    /// The split of `plan`'s buckets over `ranks` ranks as seen by `rank`.
    public init(plan: GradientBucketPlan, rank: Int, ranks: Int, alignment: Int = 16) {
        precondition(ranks >= 1 && (0 ..< ranks).contains(rank) && alignment >= 1, "GradientShardPlan: bad rank \(rank) of \(ranks) or alignment \(alignment)")
        self.alignment = alignment
        var buckets: [Bucket] = [], packed = 0
        for b in plan.buckets {
            let n = b.range.count
            let slice = ((n + ranks - 1) / ranks + alignment - 1) / alignment * alignment
            let offsets = (0 ..< ranks).map { min($0 * slice, n) }
            let counts = (0 ..< ranks).map { min(offsets[$0] + slice, n) - offsets[$0] }
            let lo = b.range.lowerBound + offsets[rank]
            buckets.append(Bucket(counts: counts, offsets: offsets, owned: lo ..< lo + counts[rank], stateOffset: packed))
            packed += counts[rank]
        }
        self.buckets = buckets
        ownedCount = packed
    }
}
