/// Random variates keyed by (seed, stream, index): the same numbers on any rank count.
///
/// Mapping onto Philox4x32-10: key = the seed's low and high 32-bit words; counter =
/// (index low, index high, stream low, stream high) where one counter value yields one
/// block of four 32-bit words. Variate `i` of a stream uses block `i / 2`: words (0, 1) for
/// even `i`, words (2, 3) for odd `i`. Give every purpose its own stream (for example the
/// global wavenumber or sample index) and index variates by global position, never by rank.
public struct CounterRNG: Sendable, Equatable {
    /// The seed (the Philox key).
    public let seed: UInt64
    /// The stream (upper half of the Philox counter).
    public let stream: UInt64

    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }

    @inlinable
    func block(_ blockIndex: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        Philox4x32.block(
            counter: (UInt32(truncatingIfNeeded: blockIndex), UInt32(truncatingIfNeeded: blockIndex >> 32),
                      UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
            key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }

    /// 64 random bits: the two words of variate `index`.
    @inlinable
    public func bits(at index: UInt64) -> UInt64 {
        let b = block(index >> 1)
        return index & 1 == 0 ? UInt64(b.0) | UInt64(b.1) << 32 : UInt64(b.2) | UInt64(b.3) << 32
    }

    /// Uniform double in the open interval (0, 1): the top 53 bits of `bits(at:)`, plus half an ulp.
    @inlinable
    public func uniform(at index: UInt64) -> Double {
        (Double(bits(at: index) >> 11) + 0.5) * 0x1.0p-53
    }

    /// Standard normal variate `index`, by Box–Muller on uniforms `2·(index/2)` and `2·(index/2)+1`:
    /// even indices take the cosine branch, odd ones the sine branch of the same pair.
    @inlinable
    public func normal(at index: UInt64) -> Double {
        let pair = index & ~1
        let u1 = uniform(at: pair), u2 = uniform(at: pair + 1)
        let r = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        return index & 1 == 0 ? r * cos(angle) : r * sin(angle)
    }

    /// Writes uniforms `start ..< start + buffer.count` into `buffer`.
    @inlinable
    public func fillUniform(_ buffer: UnsafeMutableBufferPointer<Double>, startingAt start: UInt64) {
        for i in 0 ..< buffer.count { buffer[i] = uniform(at: start + UInt64(i)) }
    }

    /// Writes normals `start ..< start + buffer.count` into `buffer` (equal to `normal(at:)` element by element).
    @inlinable
    public func fillNormal(_ buffer: UnsafeMutableBufferPointer<Double>, startingAt start: UInt64) {
        var i = 0
        while i < buffer.count {
            let index = start + UInt64(i)
            if index & 1 == 0 && i + 1 < buffer.count {
                // uniform(at: index) and uniform(at: index + 1) are the two halves of ONE Philox block:
                // compute it once (the same numbers, half the Philox work).
                let w = block(index >> 1)
                let u1 = (Double((UInt64(w.0) | UInt64(w.1) << 32) >> 11) + 0.5) * 0x1.0p-53
                let u2 = (Double((UInt64(w.2) | UInt64(w.3) << 32) >> 11) + 0.5) * 0x1.0p-53
                let r = (-2 * log(u1)).squareRoot(), angle = 2 * Double.pi * u2
                buffer[i] = r * cos(angle)
                buffer[i + 1] = r * sin(angle)
                i += 2
            } else {
                buffer[i] = normal(at: index)
                i += 1
            }
        }
    }

    /// Convenience: `count` normals starting at `start`.
    public func normals(_ count: Int, startingAt start: UInt64 = 0) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { fillNormal($0, startingAt: start) }
        return out
    }

    /// Convenience: `count` uniforms starting at `start`.
    public func uniforms(_ count: Int, startingAt start: UInt64 = 0) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { fillUniform($0, startingAt: start) }
        return out
    }
}

#if canImport(Glibc)
import Glibc
#endif
