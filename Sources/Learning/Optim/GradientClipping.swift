import CLearningKernels

/// Gradient clipping on one flat gradient buffer.
///
/// With data parallelism, clip after the gradient all-reduce: every rank then holds the same
/// global gradient, so the local norm is the global norm and all ranks scale identically.
public enum GradientClipping {
    /// Euclidean norm of `buffer`, accumulated in double (fixed order: the same bits on every CPU).
    public static func norm(_ buffer: UnsafeBufferPointer<Float>) -> Double {
        cl_sum_of_squares(buffer.baseAddress, buffer.count).squareRoot()
    }

    /// Sum of the squares of `buffer`, accumulated in double (fixed order). Sums of disjoint
    /// parts (summed over ranks, say) give the squared norm of their union.
    public static func sumOfSquares(_ buffer: UnsafeBufferPointer<Float>) -> Double {
        cl_sum_of_squares(buffer.baseAddress, buffer.count)
    }

    /// Scales `gradients` by `maxNorm / norm` when their norm exceeds `maxNorm` (to norm `maxNorm`
    /// up to float rounding); returns the norm before clipping.
    @discardableResult
    public static func byGlobalNorm(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
        let total = norm(UnsafeBufferPointer(gradients))
        byGlobalNorm(gradients, maxNorm: maxNorm, globalNorm: total)
        return Float(total)
    }

    /// Scales `part`, a part of a gradient whose whole norm is `globalNorm` (a rank's shard, the
    /// norm from the summed `sumOfSquares` of all parts), by `maxNorm / globalNorm` when
    /// `globalNorm` exceeds `maxNorm`: the same factor as clipping the whole buffer.
    public static func byGlobalNorm(_ part: UnsafeMutableBufferPointer<Float>, maxNorm: Float, globalNorm: Double) {
        precondition(maxNorm > 0, "maxNorm must be > 0")
        if globalNorm > Double(maxNorm) {
            cl_scale(part.baseAddress, part.count, Float(Double(maxNorm) / globalNorm))
        }
    }

    /// `byGlobalNorm` on an array.
    @discardableResult
    public static func byGlobalNorm(_ gradients: inout [Float], maxNorm: Float) -> Float {
        gradients.withUnsafeMutableBufferPointer { byGlobalNorm($0, maxNorm: maxNorm) }
    }
}
