/// A model of the noise: ε̂(x_t, t) for a batch. The samplers need nothing else of a network.
public protocol NoisePredictor {
    /// ε̂ of `timesteps.count` samples: `noisy` holds them one after another (each `noisy.count / timesteps.count`
    /// values, in the model's layout, for example NHWC); the result has the same layout and count.
    func predictNoise(_ noisy: [Float], timesteps: [Int]) throws -> [Float]
}

/// A ``NoisePredictor`` from a closure (tests, exact scores, adapters).
public struct ClosureNoisePredictor: NoisePredictor {
    let body: ([Float], [Int]) throws -> [Float]

    public init(_ body: @escaping (_ noisy: [Float], _ timesteps: [Int]) throws -> [Float]) { self.body = body }

    public func predictNoise(_ noisy: [Float], timesteps: [Int]) throws -> [Float] { try body(noisy, timesteps) }
}

/// Turns a v-prediction model into a noise predictor: ε̂ = √ᾱ_t v̂ + √(1 − ᾱ_t) x_t
/// (from v = √ᾱ ε − √(1 − ᾱ) x_0 and x_t = √ᾱ x_0 + √(1 − ᾱ) ε).
public struct VelocityAsNoisePredictor<Velocity: NoisePredictor>: NoisePredictor {
    /// The model predicting v (its `predictNoise` returns v̂).
    public let velocityModel: Velocity
    /// The schedule the model was trained with.
    public let schedule: NoiseSchedule

    public init(velocityModel: Velocity, schedule: NoiseSchedule) {
        self.velocityModel = velocityModel
        self.schedule = schedule
    }

    public func predictNoise(_ noisy: [Float], timesteps: [Int]) throws -> [Float] {
        var v = try velocityModel.predictNoise(noisy, timesteps: timesteps)
        guard v.count == noisy.count, !timesteps.isEmpty else {
            throw DiffusionError("v-prediction model returned \(v.count) values for \(noisy.count) inputs")
        }
        let n = noisy.count / timesteps.count
        for (b, t) in timesteps.enumerated() {
            let a = schedule.sqrtAlphaBars[t], s = schedule.sqrtOneMinusAlphaBars[t]
            for i in b * n ..< (b + 1) * n { v[i] = Float(a * Double(v[i]) + s * Double(noisy[i])) }
        }
        return v
    }
}
