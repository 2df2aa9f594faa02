import CLearningKernels

/// Element-wise sums of gradient buffers that several ranks wrote (a node's shared memory).
public enum GradientSum {
    /// `destination[i] = sources[0][i] + … + sources[k-1][i]` for `i < count`, added in the order of
    /// `sources` (the same bits whichever rank computes it). `destination` may be one of the
    /// sources; vectorised (C kernel).
    public static func sum(_ sources: UnsafeBufferPointer<UnsafePointer<Float>>, into destination: UnsafeMutablePointer<Float>,
                           count: Int) {
        precondition(!sources.isEmpty && count >= 0, "GradientSum: no sources or a negative count")
        sources.withMemoryRebound(to: UnsafePointer<Float>?.self) { s in
            cl_sum_sources(destination, s.baseAddress, sources.count, count)
        }
    }

    /// `destination[i] = sources[0][i] + … + sources[k-1][i]` (as `sum`), setting every source
    /// element to zero once read: the gradient buffers are cleared for the next backward in the same
    /// pass. `destination` must not overlap a source.
    public static func sumClearing(_ sources: UnsafeBufferPointer<UnsafeMutablePointer<Float>>, into destination: UnsafeMutablePointer<Float>,
                                   count: Int) {
        precondition(!sources.isEmpty && count >= 0, "GradientSum: no sources or a negative count")
        sources.withMemoryRebound(to: UnsafeMutablePointer<Float>?.self) { s in
            cl_sum_sources_clearing(destination, s.baseAddress, sources.count, count)
        }
    }
}
