/// Forward-mode (Taylor) derivatives of a layer along one direction, to first and second order.
///
/// Take a direction v in parameter space (laid out like `ParameterStore.values`) and an input
/// path x(ε) = x + ε·ẋ + ½ε²·ẍ. With y(ε) = f(θ + ε·v, x(ε)), a layer returns y(0), ẏ = dy/dε and,
/// when ẍ is given, ÿ = d²y/dε² at ε = 0. Chained through a model this gives exact Jacobian–vector
/// products J·v (ẋ = ẍ = 0 at the input) and the second directional derivative vᵀ·H·v per output,
/// what the linearisation diagnostics of wide networks need, without finite differences.
///
/// Like `forward`, the outputs live in the layer's own buffers (allocated on the first call, so
/// later calls allocate nothing) and stay valid until the next call. `tangentForward` does not
/// disturb a pending `forward`/`backward` pair's saved state only if the layer says so; callers
/// must not interleave it with training steps.
public protocol TangentLayer: Layer {
    /// Computes (y, ẏ, ÿ) for the first `rows` samples. `x`, `dx` (and `ddx`) hold rows × input
    /// elements; `direction` points at the whole model's parameter direction (the layer reads its
    /// own views). `ddx == nil` asks for first order only, and `ddy` is then nil.
    func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                        direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?)
}
