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

    /// Scales `gradients` by `maxNorm / norm` when their norm exceeds `maxNorm` (to norm `maxNorm`
    /// up to float rounding); returns the norm before clipping.
    @discardableResult
    public static func byGlobalNorm(_ gradients: UnsafeMutableBufferPointer<Float>, maxNorm: Float) -> Float {
        precondition(maxNorm > 0, "maxNorm must be > 0")
        let total = norm(UnsafeBufferPointer(gradients))
        if total > Double(maxNorm) {
            cl_scale(gradients.baseAddress, gradients.count, Float(Double(maxNorm) / total))
        }
        return Float(total)
    }

    /// `byGlobalNorm` on an array.
    @discardableResult
    public static func byGlobalNorm(_ gradients: inout [Float], maxNorm: Float) -> Float {
        gradients.withUnsafeMutableBufferPointer { byGlobalNorm($0, maxNorm: maxNorm) }
    }
}
