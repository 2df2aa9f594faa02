/// The variance σ_t² of the noise added by the ancestral DDPM sampler.
public enum AncestralVariance: String, Sendable, CaseIterable {
    /// σ_t² = β_t (optimal for x_0 ~ N(0, I)).
    case beta
    /// σ_t² = β̃_t, the posterior variance (optimal for a deterministic x_0); equals DDIM with η = 1.
    case posterior
}

/// How samples are drawn from x_T ~ N(0, I).
public enum SamplingMethod: Sendable, Equatable {
    /// Ancestral DDPM over all T steps: x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) ε̂)/√α_t + σ_t z (no noise at t = 0).
    case ddpm(variance: AncestralVariance)
    /// DDIM (Song et al. 2021) over the increasing time steps `timesteps` (a sub-sequence of 0 ..< T, for
    /// example ``DiffusionSampler/evenlySpacedTimesteps(count:steps:)``) with stochasticity η ∈ [0, 1]
    /// (0: deterministic; 1 over all steps: the ancestral sampler with σ_t² = β̃_t).
    case ddim(timesteps: [Int], eta: Double)
}

/// Draws samples from a ``NoisePredictor`` by DDPM or DDIM. The starting noise x_T and every added noise z are
/// keyed by (seed, global sample index, time step) (``DiffusionRandomness``): sample k is the same whichever
/// batch, group of samples or rank produces it (given a model whose output for a sample does not depend on
/// the rest of the batch).
public struct DiffusionSampler: Sendable {
    /// The schedule the model was trained with.
    public let schedule: NoiseSchedule
    /// DDPM or DDIM and their settings.
    public let method: SamplingMethod
    /// Values per sample (N · N · C for an NHWC field).
    public let elementsPerSample: Int
    /// The keys of x_T and z.
    public let randomness: DiffusionRandomness

    /// Checks the method against the schedule (time steps strictly increasing inside 0 ..< T, 0 ≤ η ≤ 1).
    public init(schedule: NoiseSchedule, method: SamplingMethod, elementsPerSample: Int, seed: UInt64) throws {
        try DiffusionRandomness.checkElements(elementsPerSample)
        if case .ddim(let timesteps, let eta) = method {
            guard !timesteps.isEmpty else { throw DiffusionError("DDIM: the list of time steps is empty (fix: use evenlySpacedTimesteps(count:steps:) with count >= 1)") }
            guard timesteps.first! >= 0, timesteps.last! < schedule.steps else {
                throw DiffusionError("DDIM: time steps must lie in 0 ..< \(schedule.steps) (the schedule's steps), got \(timesteps.first!) ... \(timesteps.last!)")
            }
            if let i = timesteps.indices.dropFirst().first(where: { timesteps[$0] <= timesteps[$0 - 1] }) {
                throw DiffusionError("DDIM: time steps must be strictly increasing, but step \(i) is \(timesteps[i]) after \(timesteps[i - 1])")
            }
            guard eta.isFinite, eta >= 0, eta <= 1 else {
                throw DiffusionError("DDIM: eta must lie in [0, 1] (0 deterministic, 1 ancestral), got \(eta)")
            }
        }
        self.schedule = schedule
        self.method = method
        self.elementsPerSample = elementsPerSample
        randomness = DiffusionRandomness(seed: seed)
    }

    /// `count` time steps from 0 to T − 1, as evenly spaced as integers allow: τ_i = round(i (T − 1)/(count − 1))
    /// (count = 1: [T − 1]). Needs 1 ≤ count ≤ T.
    public static func evenlySpacedTimesteps(count: Int, steps: Int) throws -> [Int] {
        guard count >= 1, count <= steps else {
            throw DiffusionError("DDIM: the number of sampling steps must lie in 1 ... \(steps) (the schedule's steps), got \(count)")
        }
        if count == 1 { return [steps - 1] }
        return (0 ..< count).map { i in Int((Double(i) * Double(steps - 1) / Double(count - 1)).rounded()) }
    }

    /// The time steps the sampler visits, from the first (noisiest) to the last.
    public var visitedTimesteps: [Int] {
        switch method {
        case .ddpm: return Array((0 ..< schedule.steps).reversed())
        case .ddim(let timesteps, _): return timesteps.reversed()
        }
    }

    /// The samples with global indices `samples` (samples.count × elementsPerSample values, in that order),
    /// calling `model` on batches of at most `batchSize` samples.
    public func sample(_ samples: [Int], model: some NoisePredictor, batchSize: Int = 64) throws -> [Float] {
        guard batchSize >= 1 else { throw DiffusionError("sampling: batch size must be at least 1, got \(batchSize)") }
        try DiffusionRandomness.checkSamples(samples)
        let (total, overflow) = samples.count.multipliedReportingOverflow(by: elementsPerSample)
        guard !overflow else { throw DiffusionError("sampling: \(samples.count) samples × \(elementsPerSample) values overflow") }
        var out = [Float](repeating: 0, count: total)
        var start = 0
        while start < samples.count {
            let batch = Array(samples[start ..< min(start + batchSize, samples.count)])
            let x = try sampleBatch(batch, model: model)
            out.replaceSubrange(start * elementsPerSample ..< (start + batch.count) * elementsPerSample, with: x)
            start += batch.count
        }
        return out
    }

    /// One batch from x_T to x_0.
    func sampleBatch(_ samples: [Int], model: some NoisePredictor) throws -> [Float] {
        let n = elementsPerSample
        var x = [Float](repeating: 0, count: samples.count * n)
        var z = [Float](repeating: 0, count: n), scratch: [Double] = []
        x.withUnsafeMutableBufferPointer { all in
            for (b, sample) in samples.enumerated() {
                randomness.fillNormals(UnsafeMutableBufferPointer(rebasing: all[b * n ..< (b + 1) * n]),
                                       purpose: .samplerStart, step: 0, sample: sample, scratch: &scratch)
            }
        }
        let visited = visitedTimesteps
        for (k, t) in visited.enumerated() {
            let epsilon = try model.predictNoise(x, timesteps: [Int](repeating: t, count: samples.count))
            guard epsilon.count == x.count else {
                throw DiffusionError("sampling: the model returned \(epsilon.count) values for \(x.count) inputs at time step \(t)")
            }
            if let bad = epsilon.firstIndex(where: { !$0.isFinite }) {
                throw DiffusionError("sampling: the model's noise estimate is \(epsilon[bad]) at time step \(t) (sample \(samples[bad / n])): the model diverged or the input is out of its range")
            }
            // x_new = cx · x + ce · ε̂ + σ z, with coefficients in float64.
            let (cx, ce, sigma) = coefficients(leaving: t, next: k + 1 < visited.count ? visited[k + 1] : nil)
            for (b, sample) in samples.enumerated() {
                if sigma > 0 {
                    z.withUnsafeMutableBufferPointer {
                        randomness.fillNormals($0, purpose: .samplerNoise, step: t, sample: sample, scratch: &scratch)
                    }
                }
                for i in b * n ..< (b + 1) * n {
                    var v = cx * Double(x[i]) + ce * Double(epsilon[i])
                    if sigma > 0 { v += sigma * Double(z[i - b * n]) }
                    x[i] = Float(v)
                }
            }
        }
        return x
    }

    /// (cx, ce, σ) of the step from time step t to `next` (nil: to x_0).
    func coefficients(leaving t: Int, next: Int?) -> (Double, Double, Double) {
        let s = schedule
        switch method {
        case .ddpm(let variance):
            let cx = 1 / s.alphas[t].squareRoot()
            let ce = -s.betas[t] / s.sqrtOneMinusAlphaBars[t] * cx
            let sigma2 = t == 0 ? 0 : (variance == .beta ? s.betas[t] : s.posteriorVariances[t])
            return (cx, ce, sigma2.squareRoot())
        case .ddim(_, let eta):
            // x̂_0 = (x − √(1 − ᾱ) ε̂)/√ᾱ;  x' = √ᾱ' x̂_0 + √(1 − ᾱ' − σ²) ε̂ + σ z,
            // σ = η √((1 − ᾱ')/(1 − ᾱ)) √(1 − ᾱ/ᾱ').
            let bar = s.alphaBars[t], nextBar = next.map { s.alphaBars[$0] } ?? 1
            let sigma2 = eta * eta * (1 - nextBar) / (1 - bar) * (1 - bar / nextBar)
            let direction = max(0, 1 - nextBar - sigma2).squareRoot()
            let ratio = (nextBar / bar).squareRoot()
            let cx = ratio
            let ce = direction - ratio * (1 - bar).squareRoot()
            return (cx, ce, sigma2.squareRoot())
        }
    }
}
