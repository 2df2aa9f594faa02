import CounterRNG

/// How a Dense layer's parameters are drawn, and (for NTK) how its forward is scaled.
public enum Initialization: Sendable, Equatable {
    /// He/Kaiming normal: W ~ N(0, 2/fan_in), b = 0 (for ReLU-like activations).
    case he
    /// Glorot/Xavier uniform: W ~ U(−a, a), a = sqrt(6/(fan_in + fan_out)), b = 0.
    case glorot
    /// NTK parameterisation: W, b ~ N(0, 1) and the layer computes y = x·Wᵀ/sqrt(fan_in) + β·b.
    /// The scales live in forward and backward (gradients are w.r.t. the unscaled W, b), which is
    /// what makes the infinite-width limit and its learning-rate scaling work.
    case ntk(beta: Float)

    /// Factor on x·Wᵀ in the forward pass.
    func weightScale(fanIn: Int) -> Float {
        if case .ntk = self { return 1 / Float(fanIn).squareRoot() }
        return 1
    }

    /// Factor on b in the forward pass.
    var biasScale: Float {
        if case .ntk(let beta) = self { return beta }
        return 1
    }

    /// Fills a Dense layer's weight (fanOut × fanIn, then bias) slice. Variates are keyed by
    /// (seed, stream = the layer's `BuildContext.stream`, index = element index within the layer, weights first then
    /// biases), so a layer's draw depends on nothing but those three.
    func fill(weights: UnsafeMutableBufferPointer<Float>, bias: UnsafeMutableBufferPointer<Float>,
              fanIn: Int, fanOut: Int, seed: UInt64, stream: UInt64) {
        let rng = CounterRNG(seed: seed, stream: stream)
        let nw = UInt64(weights.count)
        switch self {
        case .he:
            let std = (2 / Double(fanIn)).squareRoot()
            for i in 0 ..< weights.count { weights[i] = Float(std * rng.normal(at: UInt64(i))) }
            for i in 0 ..< bias.count { bias[i] = 0 }
        case .glorot:
            let a = (6 / Double(fanIn + fanOut)).squareRoot()
            for i in 0 ..< weights.count { weights[i] = Float(a * (2 * rng.uniform(at: UInt64(i)) - 1)) }
            for i in 0 ..< bias.count { bias[i] = 0 }
        case .ntk:
            for i in 0 ..< weights.count { weights[i] = Float(rng.normal(at: UInt64(i))) }
            for i in 0 ..< bias.count { bias[i] = Float(rng.normal(at: nw + UInt64(i))) }
        }
    }
}
