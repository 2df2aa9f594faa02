/// What the network is trained to predict from (x_t, t).
public enum PredictionTarget: String, Sendable, CaseIterable {
    /// ε-prediction (Ho et al. 2020): the noise that made x_t from x_0.
    case noise
    /// v-prediction (Salimans & Ho 2022): v = √ᾱ_t ε − √(1 − ᾱ_t) x_0.
    case velocity
}

/// A batch of training pairs: the network's input (x_t, t) and its regression target.
public struct TrainingPairs: Sendable, Equatable {
    /// x_t, laid out like the clean batch (sample after sample).
    public var noisy: [Float]
    /// t of each sample, in 0 ..< T.
    public var timesteps: [Int]
    /// ε or v of each element, laid out like `noisy`.
    public var targets: [Float]
}

/// The forward (noising) process q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I) and the training pairs drawn from it.
public struct ForwardProcess: Sendable {
    /// The schedule.
    public let schedule: NoiseSchedule
    /// The keys of t and ε.
    public let randomness: DiffusionRandomness

    public init(schedule: NoiseSchedule, seed: UInt64) {
        self.schedule = schedule
        randomness = DiffusionRandomness(seed: seed)
    }

    /// x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε for one sample, element by element (coefficients in float64).
    public func noised(clean: ArraySlice<Float>, noise: ArraySlice<Float>, timestep t: Int) -> [Float] {
        precondition(clean.count == noise.count, "ForwardProcess.noised: \(clean.count) clean values but \(noise.count) noise values")
        precondition(t >= 0 && t < schedule.steps, "ForwardProcess.noised: time step \(t) outside 0 ..< \(schedule.steps)")
        let a = schedule.sqrtAlphaBars[t], b = schedule.sqrtOneMinusAlphaBars[t]
        return zip(clean, noise).map { Float(a * Double($0) + b * Double($1)) }
    }

    /// The time step of `sample` at training `step`: uniform on 0 ..< T.
    public func timestep(sample: Int, step: Int) -> Int {
        randomness.integer(below: schedule.steps, .trainingTimestep, step: step, sample: sample, variate: 0)
    }

    /// Training pairs for a batch of clean samples (`clean`: samples.count × elementsPerSample values, sample after
    /// sample) whose global indices are `samples`, at training `step`. t and ε are keyed by (seed, global sample
    /// index, step): the pairs of a sample do not depend on the batch it is in or the rank that builds it.
    public func trainingPairs(clean: [Float], samples: [Int], step: Int, target: PredictionTarget = .noise) throws -> TrainingPairs {
        guard !samples.isEmpty, clean.count % samples.count == 0 else {
            throw DiffusionError("training pairs: \(clean.count) clean values do not split into \(samples.count) samples (fix: pass one global sample index per sample)")
        }
        let n = clean.count / samples.count
        try DiffusionRandomness.checkElements(n)
        try DiffusionRandomness.checkSamples(samples)
        try DiffusionRandomness.checkStep(step, "training step")
        if let bad = clean.firstIndex(where: { !$0.isFinite }) {
            throw DiffusionError("training pairs: clean value \(bad) (sample \(samples[bad / n]), element \(bad % n)) is \(clean[bad]) (fix: the training data must be finite)")
        }
        var pairs = TrainingPairs(noisy: [Float](repeating: 0, count: clean.count), timesteps: [],
                                  targets: [Float](repeating: 0, count: clean.count))
        var epsilon = [Float](repeating: 0, count: n), scratch: [Double] = []
        for (b, sample) in samples.enumerated() {
            let t = timestep(sample: sample, step: step)
            pairs.timesteps.append(t)
            epsilon.withUnsafeMutableBufferPointer {
                randomness.fillNormals($0, purpose: .trainingNoise, step: step, sample: sample, scratch: &scratch)
            }
            let a = schedule.sqrtAlphaBars[t], s = schedule.sqrtOneMinusAlphaBars[t]
            for i in 0 ..< n {
                let x0 = Double(clean[b * n + i]), e = Double(epsilon[i])
                pairs.noisy[b * n + i] = Float(a * x0 + s * e)
                pairs.targets[b * n + i] = target == .noise ? epsilon[i] : Float(a * e - s * x0)
            }
        }
        return pairs
    }
}
