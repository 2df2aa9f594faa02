import CLearningKernels

/// The three products of a convolution layer, on batches of NHWC samples with the weights in the
/// canonical layout [outputs, kernel, kernel, inputs] (OHWI) and the bias [outputs].
///
/// With s_w and s_b the engine's weight and bias scales (1, or the NTK factors):
/// forward  y  = s_w · conv(x, W) + s_b · b   (and max(0, y): `forwardReLU`),
/// data     dx = s_w · convᵀ(dy, W),
/// weights  dW += s_w · Σ x ⊗ dy,  db += s_b · Σ dy.
/// Engines may keep state from the last `forward` (the periodic halo of x, the weights in their own
/// layout) for the backward of the same step: call `backwardWeights` and `backwardData` only for
/// the input and weights of the last `forward`.
protocol ConvolutionEngine: AnyObject {
    /// The layer's sizes.
    var g: ConvolutionGeometry { get }
    /// y = s_w · conv(x, weights) + s_b · bias for `rows` samples; `bias == nil` leaves it out.
    func forward(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 into y: UnsafeMutablePointer<Float>, rows: Int)
    /// max(0, s_w · conv(x, weights) + s_b · bias): `forward` and a ReLU in one (the state kept for
    /// backward is the same as `forward`'s). Default: `forward`, then a clamp in place.
    func forwardReLU(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                     into y: UnsafeMutablePointer<Float>, rows: Int)
    /// dx = s_w · convᵀ(dy, weights) (overwrites dx); `weights` are the last forward's.
    func backwardData(_ dy: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                      into dx: UnsafeMutablePointer<Float>, rows: Int)
    /// dW += s_w · Σ x ⊗ dy and db += s_b · Σ dy (`biasGradient == nil`: the caller sums dy itself);
    /// `x` is the last forward's input.
    func backwardWeights(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                         weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
                         rows: Int)
}

extension ConvolutionEngine {
    func forwardReLU(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                     into y: UnsafeMutablePointer<Float>, rows: Int) {
        forward(x, weights: weights, bias: bias, into: y, rows: rows)
        cl_relu_in_place(y, rows * g.outputElements)
    }
}
