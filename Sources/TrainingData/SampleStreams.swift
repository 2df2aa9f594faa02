import CounterRNG

/// CounterRNG streams of the synthetic tasks, one per purpose, so no two purposes ever share a
/// variate: the purpose sits in the top byte of the stream, the sample (or class) index below it.
///
/// Every random number a sample needs is keyed by (seed, purpose, GLOBAL sample index, element), so
/// sample i is the same whichever rank asks for it, in whatever order and batch.
enum SampleStream: UInt64 {
    /// The standard normal vector z of a sample (index = element).
    case input = 1
    /// The class label of a sample (one uniform per sample: index = sample).
    case label = 2
    /// The Gaussian matrix whose QR gives a class's eigenbasis (stream low bits = class).
    case basis = 3
    /// The random mean direction (index = element).
    case meanDirection = 4
    /// Label or target noise (index = sample × outputs + output).
    case noise = 5
    /// The white noise a Gaussian random field is filtered from (index = grid point).
    case field = 6

    /// Sample keys must leave the top byte to the purpose.
    static let maxSample = 1 << 56

    /// The generator for this purpose and `sample` (or class) index.
    func rng(seed: UInt64, _ sample: Int = 0) -> CounterRNG {
        precondition(sample >= 0 && sample < SampleStream.maxSample, "sample key \(sample) outside 0 ..< 2^56")
        return CounterRNG(seed: seed, stream: rawValue << 56 | UInt64(sample))
    }
}
