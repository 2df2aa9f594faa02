import CounterRNG
import Datasets
import Foundation
import Linalg
import Spectra

/// Synthetic datasets generated sample by sample from the counter-based RNG: sample s uses
/// stream s of the seed, so every rank count produces exactly the same data.
public enum SyntheticData {
    /// Uncorrelated standard normal features: x_{s,f} = normal(seed, stream s, index f).
    public static func gaussian(samples range: Range<Int>, total: Int, features d: Int, seed: UInt64) -> SampleBlock {
        var values = [Double](repeating: 0, count: range.count * d)
        values.withUnsafeMutableBufferPointer { buf in
            for (r, s) in range.enumerated() {
                let row = UnsafeMutableBufferPointer(rebasing: buf[r * d ..< (r + 1) * d])
                CounterRNG(seed: seed, stream: UInt64(s)).fillNormal(row, startingAt: 0)
            }
        }
        return SampleBlock(firstSample: range.lowerBound, rows: range.count, features: d, totalSamples: total, values: values)
    }

    /// The long-range correlation ρ(k) of the power-law source: ρ(0) = 1 and
    /// ρ(k) = k^{−γ} / (−2ζ(γ)) for k ≥ 1, 0 < γ < 1.
    ///
    /// The normalisation cancels the constant term of the spectral density
    /// f(ω) = Σₖ ρ(|k|) e^{ikω} = [2Γ(1−γ) sin(πγ/2) |ω|^{γ−1} + O(ω²)] / (−2ζ(γ)), which is positive, so the
    /// Toeplitz matrix is a valid covariance whose rank-ordered eigenvalues follow λᵢ ≈ f(πi/d) ∝ i^{γ−1}:
    /// in the convention λᵢ ∝ i^{−(1+α)}, α = −γ.
    public static func powerLawCorrelation(lag k: Int, exponent gamma: Double) -> Double {
        k == 0 ? 1 : pow(Double(k), -gamma) / (-2 * SpecialFunctions.zeta(gamma))
    }

    /// The d × d Toeplitz covariance Σᵢⱼ = ρ(|i − j|).
    public static func powerLawCovariance(features d: Int, exponent gamma: Double) -> Matrix {
        let rho = (0 ..< d).map { powerLawCorrelation(lag: $0, exponent: gamma) }
        var m = Matrix(rows: d, columns: d)
        for i in 0 ..< d { for j in 0 ..< d { m[i, j] = rho[abs(i - j)] } }
        return m
    }

    /// Gaussian samples with the power-law Toeplitz covariance: x_s = L z_s with Σ = LLᵀ (Cholesky) and
    /// z_s the ``gaussian(samples:total:features:seed:)`` sample s.
    public static func powerLaw(samples range: Range<Int>, total: Int, features d: Int, exponent gamma: Double,
                                seed: UInt64) throws -> SampleBlock {
        let l = try Cholesky.lower(powerLawCovariance(features: d, exponent: gamma))
        let z = gaussian(samples: range, total: total, features: d, seed: seed)
        var x = Matrix(rows: range.count, columns: d)
        if range.count > 0 {
            BLAS.gemm(1, Matrix(rows: range.count, columns: d, elements: z.values), .none, l, .transposed, 0, &x)
        }
        return SampleBlock(firstSample: range.lowerBound, rows: range.count, features: d, totalSamples: total, values: x.elements)
    }
}
