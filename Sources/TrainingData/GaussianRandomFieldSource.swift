import DistributedFFT
import Foundation
import Learning

/// Periodic Gaussian random fields with a known power-law shell spectrum: the synthetic data a
/// diffusion model is checked on (its samples must reproduce the spectrum and the Gaussian one-point
/// PDF, both known exactly).
///
/// Field i is white noise w (N² standard normals keyed by (seed, field i, grid point), so the same on
/// every rank) filtered in Fourier space: f = F⁻¹[H(k) · F[w]] with H(k)² ∝ |k|^−(α+1) for
/// kmin ≤ |k| ≤ kmax and 0 elsewhere (the mean mode k = 0 is always 0). Writing f(x) = Σ_k a_k e^{ik·x},
/// every a_k is a zero-mean Gaussian with E|a_k|² = P(|k|) / Σ_k P, so the field has unit variance and
/// its expected shell spectrum, V_s = Σ_{round(|k|) = s} E|a_k|² (``expectedShellSpectrum``; the shells
/// of Turbulence's spectra), falls as s^−α for shells well inside the band: α is the slope of the
/// energy-like spectrum, not of the per-mode power.
///
/// One FFT plan and two buffers are made here; `loadFields` allocates nothing.
public final class GaussianRandomFieldSource: PeriodicFieldSource {
    /// Points per side N.
    public let side: Int
    /// Fields.
    public let count: Int
    /// Slope α of the shell spectrum V_s ∝ s^−α.
    public let spectralSlope: Double
    /// The band kmin ≤ |k| ≤ kmax (in units of the fundamental 2π/L) that carries variance.
    public let minimumWavenumber: Double, maximumWavenumber: Double
    /// The seed of the white noise.
    public let seed: UInt64
    /// The key of field 0.
    public let firstField: Int
    /// Key offset of ``heldOut(count:)``.
    public static let heldOutOffset = 1 << 40
    /// The fields have unit variance: nothing to undo.
    public let scale = 1.0
    /// Largest side accepted.
    public static let maximumSide = 4096

    private let amplitude: [Double]
    private let fft: SerialComplexFFT
    private let noise: UnsafeMutableBufferPointer<Double>

    /// Checks the parameters (a ``TrainingDataError`` on `side`, `count`, `spectralSlope`,
    /// `minimumWavenumber` or `maximumWavenumber`) and plans the transform. `maximumWavenumber` nil:
    /// N/2, the largest disk inside the grid's square of modes.
    /// `firstField` offsets the keys: field i is keyed by firstField + i (a held-out set starts at 2⁴⁰, like
    /// the other synthetic tasks).
    public init(side: Int, count: Int, spectralSlope: Double, minimumWavenumber: Double = 1, maximumWavenumber: Double? = nil, seed: UInt64,
                firstField: Int = 0) throws {
        guard side >= SnapshotFieldSource.minimumSide, side <= Self.maximumSide else {
            throw TrainingDataError("side", "is \(side)", fix: "use \(SnapshotFieldSource.minimumSide) … \(Self.maximumSide) points per side")
        }
        guard count >= 1, firstField >= 0, count < SampleStream.maxSample - firstField else {
            throw TrainingDataError("count", "is \(count) from field key \(firstField)", fix: "use 1 … 2^56 − 1 fields")
        }
        guard spectralSlope.isFinite, abs(spectralSlope) <= 20 else {
            throw TrainingDataError("spectralSlope", "is \(spectralSlope)", fix: "use a finite slope in −20 … 20 (turbulence: 3 for 2D enstrophy-cascade energy, 5/3 for the inverse cascade)")
        }
        let kmax = maximumWavenumber ?? Double(side / 2)
        guard minimumWavenumber.isFinite, minimumWavenumber >= 1 else {
            throw TrainingDataError("minimumWavenumber", "is \(minimumWavenumber)", fix: "use at least 1 (the mean mode carries no variance)")
        }
        guard kmax.isFinite, kmax >= minimumWavenumber, kmax <= Double(side / 2) else {
            throw TrainingDataError("maximumWavenumber", "is \(kmax) with minimumWavenumber \(minimumWavenumber) on \(side) points per side",
                                    fix: "use minimumWavenumber ≤ maximumWavenumber ≤ \(side / 2) (N/2)")
        }
        self.side = side
        self.count = count
        self.spectralSlope = spectralSlope
        self.minimumWavenumber = minimumWavenumber
        self.maximumWavenumber = kmax
        self.seed = seed
        self.firstField = firstField
        var power = Self.modePower(side: side, slope: spectralSlope, band: minimumWavenumber ... kmax)
        let total = power.reduce(0, +)
        // H² = N² P / ΣP: F[w] has E|W_k|² = N², and f = F⁻¹[H W] / N² then has E|a_k|² = P/ΣP.
        for i in power.indices { power[i] = (power[i] * Double(side * side) / total).squareRoot() }
        amplitude = power
        fft = try SerialComplexFFT(shape: [side, side])
        noise = .allocate(capacity: side * side)
    }

    deinit { noise.deallocate() }

    /// P(|k|) per mode, row-major over (ky, kx) in FFT order, for `band` (0 outside it).
    static func modePower(side n: Int, slope: Double, band: ClosedRange<Double>) -> [Double] {
        var power = [Double](repeating: 0, count: n * n)
        for i in 0 ..< n {
            let ky = Double(i <= n / 2 ? i : i - n)
            for j in 0 ..< n {
                let kx = Double(j <= n / 2 ? j : j - n)
                let k = (kx * kx + ky * ky).squareRoot()
                if band.contains(k) { power[i * n + j] = pow(k, -(slope + 1)) }
            }
        }
        return power
    }

    /// `count` more fields of the same spectrum that share no key with this set (of fewer than 2⁴⁰).
    public func heldOut(count: Int) throws -> GaussianRandomFieldSource {
        try GaussianRandomFieldSource(side: side, count: count, spectralSlope: spectralSlope, minimumWavenumber: minimumWavenumber,
                                      maximumWavenumber: maximumWavenumber, seed: seed, firstField: firstField + Self.heldOutOffset)
    }

    /// The expected variance in each shell s = 0 … N/2 (modes with round(|k|) = s); sums to 1.
    public func expectedShellSpectrum() -> [Double] {
        let n = side
        var shells = [Double](repeating: 0, count: n / 2 + 1)
        let norm = 1 / Double(n * n)
        for i in 0 ..< n {
            let ky = Double(i <= n / 2 ? i : i - n)
            for j in 0 ..< n {
                let kx = Double(j <= n / 2 ? j : j - n)
                let s = Int((kx * kx + ky * ky).squareRoot().rounded())
                let a = amplitude[i * n + j]
                if a > 0 { shells[s] += a * a * norm }
            }
        }
        return shells
    }

    /// Writes fields `indices` into `fields` (indices.count × N² floats).
    public func loadFields(indices: UnsafeBufferPointer<Int>, into fields: UnsafeMutablePointer<Float>) throws {
        let n = side, points = n * n, buffer = fft.buffer, inverse = 1 / Double(points)
        for (r, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "GaussianRandomFieldSource: index \(index) outside 0 ..< \(count)")
            SampleStream.field.rng(seed: seed, firstField + index).fillNormal(noise, startingAt: 0)
            for p in 0 ..< points {
                buffer[2 * p] = noise[p]
                buffer[2 * p + 1] = 0
            }
            fft.forward()
            for p in 0 ..< points {
                buffer[2 * p] *= amplitude[p]
                buffer[2 * p + 1] *= amplitude[p]
            }
            fft.backward()
            let out = fields + r * points
            for p in 0 ..< points { out[p] = Float(buffer[2 * p] * inverse) }
        }
    }

    /// The shell spectrum of one N × N field, V_s = Σ_{round(|k|) = s} |a_k|² with a_k = F[f]_k / N²,
    /// s = 0 … N/2 (modes of the square's corners, |k| > N/2 + ½, are left out). For checks.
    public static func shellSpectrum(of field: UnsafeBufferPointer<Float>, side n: Int) throws -> [Double] {
        precondition(field.count == n * n, "shellSpectrum: \(field.count) values for \(n) × \(n)")
        let fft = try SerialComplexFFT(shape: [n, n])
        for p in 0 ..< n * n {
            fft.buffer[2 * p] = Double(field[p])
            fft.buffer[2 * p + 1] = 0
        }
        fft.forward()
        var shells = [Double](repeating: 0, count: n / 2 + 1)
        let norm = 1 / Double(n * n) / Double(n * n)
        for i in 0 ..< n {
            let ky = Double(i <= n / 2 ? i : i - n)
            for j in 0 ..< n {
                let kx = Double(j <= n / 2 ? j : j - n)
                let s = Int((kx * kx + ky * ky).squareRoot().rounded())
                guard s < shells.count else { continue }
                let re = fft.buffer[2 * (i * n + j)], im = fft.buffer[2 * (i * n + j) + 1]
                shells[s] += (re * re + im * im) * norm
            }
        }
        return shells
    }
}
