import CounterRNG

/// Where every random number of training and sampling comes from: one ``CounterRNG`` stream per
/// (purpose, step), indexed by (global sample index, element). Nothing depends on the rank or on how samples
/// are grouped into batches, so a sample (its time step, noise, augmentation and sampler noise) is the same
/// whichever rank builds it.
///
/// Layout: stream = purpose · 2⁵⁶ + step (step < 2⁵⁶); variate index = sample · 2³² + element
/// (sample < 2³², element < 2³²). `CounterRNG.normal(at:)` pairs indices 2k and 2k + 1, which stay inside
/// one sample because the sample's base index is even.
public struct DiffusionRandomness: Sendable, Equatable {
    /// What a stream is for; each purpose has its own streams, so adding one never shifts another.
    public enum Purpose: UInt64, Sendable, CaseIterable {
        /// The time step t of a training pair (one uniform per sample; step = training step).
        case trainingTimestep = 1
        /// The noise ε of a training pair (one normal per element; step = training step).
        case trainingNoise = 2
        /// The starting noise x_T of a sampler (one normal per element; step = 0).
        case samplerStart = 3
        /// The noise z added when leaving time step t (one normal per element; step = t).
        case samplerNoise = 4
        /// The translation and D4 element of an augmentation (three uniforms per sample; step = training step).
        case augmentation = 5
    }

    /// The seed of every stream (the Philox key).
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// Largest step + 1 a stream can be keyed by.
    public static let stepLimit: UInt64 = 1 << 56
    /// Largest sample index + 1.
    public static let sampleLimit: UInt64 = 1 << 32
    /// Largest number of variates per sample.
    public static let elementLimit: UInt64 = 1 << 32

    /// The stream for `purpose` at `step`.
    public func stream(_ purpose: Purpose, step: Int) -> CounterRNG {
        precondition(step >= 0 && UInt64(step) < Self.stepLimit, "DiffusionRandomness: step \(step) outside 0 ..< 2^56")
        return CounterRNG(seed: seed, stream: purpose.rawValue << 56 | UInt64(step))
    }

    /// The first variate index of `sample`.
    public static func base(ofSample sample: Int) -> UInt64 {
        precondition(sample >= 0 && UInt64(sample) < sampleLimit, "DiffusionRandomness: sample index \(sample) outside 0 ..< 2^32")
        return UInt64(sample) << 32
    }

    /// Checks a per-sample element count against the layout, before any work.
    public static func checkElements(_ count: Int) throws {
        guard count >= 1, UInt64(count) <= elementLimit else {
            throw DiffusionError("diffusion random numbers: a sample must have 1 ... 2^32 elements, got \(count)")
        }
    }

    /// Checks global sample indices against the layout, before any work.
    public static func checkSamples(_ samples: [Int]) throws {
        if let bad = samples.first(where: { $0 < 0 || UInt64($0) >= sampleLimit }) {
            throw DiffusionError("diffusion random numbers: sample index \(bad) outside 0 ..< 2^32")
        }
    }

    /// Checks a step against the layout.
    public static func checkStep(_ step: Int, _ what: String) throws {
        guard step >= 0, UInt64(step) < stepLimit else {
            throw DiffusionError("diffusion random numbers: \(what) \(step) outside 0 ..< 2^56")
        }
    }

    /// Standard normals of `sample` for `purpose` at `step` into `out` (float32; drawn in float64).
    public func fillNormals(_ out: UnsafeMutableBufferPointer<Float>, purpose: Purpose, step: Int, sample: Int,
                            scratch: inout [Double]) {
        if scratch.count != out.count { scratch = [Double](repeating: 0, count: out.count) }
        let rng = stream(purpose, step: step), base = Self.base(ofSample: sample)
        scratch.withUnsafeMutableBufferPointer { rng.fillNormal($0, startingAt: base) }
        for i in 0 ..< out.count { out[i] = Float(scratch[i]) }
    }

    /// Uniform variate `k` in (0, 1) of `sample` for `purpose` at `step`.
    public func uniform(_ purpose: Purpose, step: Int, sample: Int, variate k: Int) -> Double {
        stream(purpose, step: step).uniform(at: Self.base(ofSample: sample) + UInt64(k))
    }

    /// A uniform integer in 0 ..< n from uniform variate `k` (n ≥ 1; the bias of ⌊u n⌋ is below n · 2⁻⁵³).
    public func integer(below n: Int, _ purpose: Purpose, step: Int, sample: Int, variate k: Int) -> Int {
        min(Int(uniform(purpose, step: step, sample: sample, variate: k) * Double(n)), n - 1)
    }
}
