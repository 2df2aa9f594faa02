/// This rank's contiguous share of a dataset: `rows` samples of `features` values each, row-major.
///
/// Samples are numbered globally (0 ..< total) in dataset order; this rank holds samples
/// `firstSample ..< firstSample + rows`. Ranks hold consecutive blocks (``Parallel/BlockDecomposition``).
public struct SampleBlock: Sendable {
    /// Global index of the first sample held here.
    public var firstSample: Int
    /// Samples held here.
    public var rows: Int
    /// Values per sample (the trailing axes of the dataset, flattened).
    public var features: Int
    /// Samples in the whole dataset (all ranks).
    public var totalSamples: Int
    /// `rows × features` values, sample after sample.
    public var values: [Double]

    public init(firstSample: Int, rows: Int, features: Int, totalSamples: Int, values: [Double]) {
        precondition(values.count == rows * features, "SampleBlock needs rows × features values")
        self.firstSample = firstSample
        self.rows = rows
        self.features = features
        self.totalSamples = totalSamples
        self.values = values
    }

    /// The global sample indices held here.
    public var sampleRange: Range<Int> { firstSample ..< firstSample + rows }

    /// The block restricted to the local rows whose flag is true (same features and total).
    public func selecting(_ keep: [Bool]) -> SampleBlock {
        precondition(keep.count == rows)
        var out: [Double] = []
        out.reserveCapacity(keep.filter { $0 }.count * features)
        for r in 0 ..< rows where keep[r] { out += values[r * features ..< (r + 1) * features] }
        return SampleBlock(firstSample: firstSample, rows: out.count / max(features, 1), features: features,
                           totalSamples: totalSamples, values: out)
    }
}
