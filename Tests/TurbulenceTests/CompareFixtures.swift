import CounterRNG
import DistributedFFT
import Foundation
import Turbulence

/// Synthetic periodic vorticity fields with exactly known Fourier coefficients, for the tests of
/// the turbulence-compare statistics.
enum CompareFixtures {
    /// Signed integer wavenumber of FFT index `i` on N points.
    static func signed(_ i: Int, _ n: Int) -> Int { i <= n / 2 ? i : i - n }

    /// A real N×N field ω(x) = Σ_k ω̂(k) e^{ik·x} with |ω̂(k)| = `amplitude(mx, my)` and random
    /// phases φ(k) = θ(k) − θ(−k) (θ uniform), so that φ(−k) = −φ(k): the coefficients are
    /// Hermitian as they stand, and the field's spectrum is exactly the one asked for.
    /// Returns the field (row-major, rows = y) and ω̂ (interleaved re, im, FFT order).
    static func field(n: Int, seed: UInt64, amplitude: (Int, Int) -> Double) throws -> (field: [Double], omegaHat: [Double]) {
        let rng = CounterRNG(seed: seed, stream: 7)
        func theta(_ i: Int, _ j: Int) -> Double { 2 * Double.pi * rng.uniform(at: UInt64(i * n + j)) }
        let fft = try SerialComplexFFT(shape: [n, n])
        var hat = [Double](repeating: 0, count: 2 * n * n)
        for i in 0 ..< n {
            for j in 0 ..< n {
                let a = amplitude(signed(j, n), signed(i, n))
                let phase = theta(i, j) - theta((n - i) % n, (n - j) % n)
                hat[2 * (i * n + j)] = a * cos(phase)
                hat[2 * (i * n + j) + 1] = a * sin(phase)
            }
        }
        for q in 0 ..< 2 * n * n { fft.buffer[q] = hat[q] }
        fft.backward()   // unnormalised: Σ_k ω̂(k) e^{+ik·x}
        return ((0 ..< n * n).map { fft.buffer[2 * $0] }, hat)
    }

    /// |ω̂| = k^{(1−α)/2} for 0 < |m| and |mx|, |my| < N/2 (no Nyquist modes): |û|² ∝ k^{−α−1},
    /// so the shell spectrum goes as k^{−α}.
    static func powerLawField(n: Int, alpha: Double, seed: UInt64) throws -> (field: [Double], omegaHat: [Double]) {
        try field(n: n, seed: seed) { mx, my in
            guard abs(mx) < n / 2, abs(my) < n / 2, mx != 0 || my != 0 else { return 0 }
            return pow(Double(mx * mx + my * my), (1 - alpha) / 4)
        }
    }

    /// N² standard normals of `stream` (white noise).
    static func whiteNoise(n: Int, seed: UInt64, stream: UInt64) -> [Double] {
        CounterRNG(seed: seed, stream: stream).normals(n * n)
    }

    static func options(separations: [Int], viscosity: Double = 1e-3, order: Int = 1, box: Double = 2 * .pi) -> FieldStatisticsOptions {
        FieldStatisticsOptions(separations: separations,
                               velocityBins: HistogramBins(lower: -3, upper: 3, count: 31),
                               vorticityBins: HistogramBins(lower: -3, upper: 3, count: 31),
                               dissipation: Dissipation(viscosity: viscosity, viscosityOrder: order), boxLength: box)
    }
}
