import CounterRNG
import Linalg

/// Reference spectra: GOE, GUE and Poisson levels from the counter-based RNG.
///
/// Matrix element (i, j), i ≤ j, uses variate index j(j + 1)/2 + i (two for GUE), independent of the
/// size, so the leading M × M block of a size-N draw is the size-M draw: sweeps over M are nested.
public enum RandomSpectra {
    /// The three kinds.
    public enum Kind: String, Sendable, CaseIterable { case goe, gue, poisson }

    static func pairIndex(_ i: Int, _ j: Int) -> UInt64 { UInt64(j * (j + 1) / 2 + i) }

    /// Ascending levels of draw `stream` of size n.
    /// GOE: Hᵢᵢ = √2 gᵢᵢ, Hᵢⱼ = gᵢⱼ (variance 2:1). GUE: Hᵢᵢ = gᵢᵢ, Hᵢⱼ = (a + ib)/√2.
    /// Poisson: n independent uniform levels on [0, n] (unit mean spacing).
    public static func levels(_ kind: Kind, size n: Int, seed: UInt64, stream: UInt64) throws -> [Double] {
        let rng = CounterRNG(seed: seed, stream: stream)
        switch kind {
        case .goe:
            var h = Matrix(rows: n, columns: n)
            for j in 0 ..< n {
                for i in 0 ... j { h[i, j] = rng.normal(at: pairIndex(i, j)) * (i == j ? 2.0.squareRoot() : 1) }
            }
            return try SymmetricEigen(h).values
        case .gue:
            var re = [Double](repeating: 0, count: n * n), im = re
            let s = 1 / 2.0.squareRoot()
            for j in 0 ..< n {
                for i in 0 ... j {
                    let k = 2 * pairIndex(i, j)
                    if i == j { re[i * n + j] = rng.normal(at: k) }
                    else { re[i * n + j] = rng.normal(at: k) * s; im[i * n + j] = rng.normal(at: k + 1) * s }
                }
            }
            return try HermitianEigen.values(real: re, imaginary: im, n: n)
        case .poisson:
            return (0 ..< n).map { rng.uniform(at: UInt64($0)) * Double(n) }.sorted()
        }
    }
}
