import Learning

/// One gradient bucket: consecutive parameter tensors reduced by one non-blocking allreduce.
public struct GradientBucket: Sendable, Equatable {
    /// The bucket's element range in the flat gradient (and parameter) buffer.
    public let range: Range<Int>
    /// Indices into `ParameterStore.views` of its tensors, in the order they were added (reverse
    /// layer order: the last tensor of the model first).
    public let tensors: [Int]
    /// The bucket may be reduced once the backward pass of this layer (the lowest layer owning one
    /// of its tensors) has run: backward goes from the last layer down, so every other tensor of the
    /// bucket is final by then.
    public let readyAfterLayer: Int

    /// Size in bytes (float32).
    public var bytes: Int { range.count * MemoryLayout<Float>.size }
}

/// How a model's gradients are split into buckets for the data-parallel allreduce.
///
/// Tensors are taken in REVERSE registration (layer) order, the order backward finishes them, and
/// a bucket is closed as soon as it holds at least `bucketBytes` (PyTorch DDP's rule; a tensor is
/// never split, so a tensor larger than the cap is a bucket of its own or closes the current one).
/// Tensors are consecutive in the flat buffer, so every bucket is ONE contiguous range and is
/// reduced in place, without packing. The plan depends only on the model's layout and the cap, so
/// every rank builds the same buckets in the same order: the collectives match.
public struct GradientBucketPlan: Sendable, Equatable {
    /// Buckets in reduction order (bucket 0 holds the model's last tensors).
    public let buckets: [GradientBucket]
    /// The cap the plan was built with.
    public let bucketBytes: Int

    /// Buckets for tensors `views` owned by layers with element ranges `layerRanges` (as
    /// `Sequential.parameterRanges`: consecutive, in layer order).
    public init(views: [ParameterView], layerRanges: [Range<Int>], bucketBytes: Int) {
        precondition(bucketBytes > 0, "bucket size must be positive")
        self.bucketBytes = bucketBytes
        func owner(of offset: Int) -> Int {
            guard let i = layerRanges.firstIndex(where: { $0.contains(offset) }) else {
                preconditionFailure("parameter element \(offset) belongs to no layer range")
            }
            return i
        }
        var buckets: [GradientBucket] = []
        var tensors: [Int] = []
        var lower = 0, upper = 0
        func close() {
            guard !tensors.isEmpty else { return }
            buckets.append(GradientBucket(range: lower ..< upper, tensors: tensors, readyAfterLayer: owner(of: lower)))
            tensors = []
        }
        for t in views.indices.reversed() where views[t].count > 0 {
            let v = views[t]
            if tensors.isEmpty { upper = v.range.upperBound }
            precondition(v.range.upperBound == (tensors.isEmpty ? upper : lower), "parameter tensors are not consecutive")
            tensors.append(t)
            lower = v.offset
            if (upper - lower) * MemoryLayout<Float>.size >= bucketBytes { close() }
        }
        close()
        self.buckets = buckets
    }

    /// The default cap: 25 MB, PyTorch DDP's `bucket_cap_mb` default.
    public static let defaultBucketBytes = 25 * 1024 * 1024
}
