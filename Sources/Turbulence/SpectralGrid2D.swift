import DistributedFFT
import Foundation
import Parallel

/// A doubly periodic N×N box of side L, distributed over ranks by the FFT's slab decomposition,
/// with everything a pseudo-spectral solver needs per Fourier mode, computed once.
///
/// **Real space**: the local array of ``RealFFTPlan`` (rows = y, axis 0, split over ranks;
/// columns = x, axis 1, padded to N+2 doubles). Point (row i, column j) sits at
/// (x, y) = (j·L/N, i·L/N).
///
/// **Spectral space**: fields are stored as *normalised* Fourier coefficients
/// f̂(k) = (1/N²) Σ_x f(x) e^{−ik·x}, so f(x) = Σ_k f̂(k) e^{ik·x} and ⟨f²⟩ = Σ_k |f̂(k)|².
/// Mode `e` of the local spectral array has kx index `j = xIndexStart + e / N` (0…N/2, the
/// halved axis) and ky index `i = e % N` (FFT order). Sums over the full spectrum use
/// ``weight`` (2 for kx > 0, 1 for kx = 0 and kx = N/2), because the modes with kx < 0 are the
/// complex conjugates of stored ones.
public final class SpectralGrid2D {
    /// Grid points per side (even).
    public let n: Int
    /// Side of the box.
    public let boxLength: Double
    /// Fundamental wavenumber 2π/L (the shell width of spectra).
    public let deltaK: Double
    /// Largest integer wavenumber kept by the 2/3 rule: |m| ≤ K with 3K < N (exact dealiasing of
    /// quadratic terms).
    public let dealiasIndex: Int
    /// The FFT plan (unnormalised transforms; the solver scales by 1/N² itself).
    public let plan: RealFFTPlan
    /// The ranks.
    public let communicator: Communicator
    /// FFTW wisdom file of the run (nil: none), for the solver's further plans.
    public let wisdomFile: String?
    /// Local spectral modes (complex numbers) on this rank.
    public let modeCount: Int
    /// First kx index stored on this rank.
    public let xIndexStart: Int
    /// Local real rows (y) owned by this rank.
    public let rows: Range<Int>
    /// Doubles per padded real row.
    public let rowStride: Int

    /// Per mode: kx, ky (physical), k², 1/k² (0 at k = 0), weight, dealias factor (0 or 1).
    public let kx: UnsafeMutablePointer<Double>
    public let ky: UnsafeMutablePointer<Double>
    public let k2: UnsafeMutablePointer<Double>
    public let inverseK2: UnsafeMutablePointer<Double>
    public let weight: UnsafeMutablePointer<Double>
    public let dealias: UnsafeMutablePointer<Double>

    /// Plans the transforms (collective). `effort` and `wisdomFile` as in ``RealFFTPlan``.
    public init(n: Int, boxLength: Double = 2 * .pi, communicator: Communicator,
                effort: PlanningEffort = .estimate, wisdomFile: String? = nil) throws {
        precondition(n >= 4 && n % 2 == 0, "SpectralGrid2D needs an even n ≥ 4")
        self.n = n
        self.boxLength = boxLength
        self.communicator = communicator
        self.wisdomFile = wisdomFile
        deltaK = 2 * .pi / boxLength
        dealiasIndex = (n - 1) / 3
        plan = try RealFFTPlan(shape: [n, n], communicator: communicator, effort: effort,
                               wisdomFile: wisdomFile, normalization: .none)
        modeCount = plan.localSpectralCount
        xIndexStart = plan.localSpectralRange.lowerBound
        rows = plan.localRealRange
        rowStride = plan.paddedLastDimension
        let count = max(modeCount, 1)
        kx = .allocate(capacity: count); ky = .allocate(capacity: count); k2 = .allocate(capacity: count)
        inverseK2 = .allocate(capacity: count); weight = .allocate(capacity: count); dealias = .allocate(capacity: count)
        for e in 0 ..< modeCount {
            let (mx, my) = integerWavenumber(e)
            kx[e] = deltaK * Double(mx)
            ky[e] = deltaK * Double(my)
            k2[e] = kx[e] * kx[e] + ky[e] * ky[e]
            inverseK2[e] = k2[e] > 0 ? 1 / k2[e] : 0
            weight[e] = (mx == 0 || mx == n / 2) ? 1 : 2
            dealias[e] = (mx <= dealiasIndex && abs(my) <= dealiasIndex) ? 1 : 0
        }
    }

    deinit {
        for p in [kx, ky, k2, inverseK2, weight, dealias] { p.deallocate() }
    }

    /// Integer wavenumbers (mx ≥ 0, my signed) of local mode `e`.
    @inlinable
    public func integerWavenumber(_ e: Int) -> (mx: Int, my: Int) {
        let j = xIndexStart + e / n
        let i = e % n
        return (j, i <= n / 2 ? i : i - n)
    }

    /// Local mode index of global integer wavenumbers (mx ≥ 0, my), if this rank stores it.
    public func localMode(mx: Int, my: Int) -> Int? {
        guard mx >= 0, mx <= n / 2, plan.localSpectralRange.contains(mx) else { return nil }
        let i = my >= 0 ? my : my + n
        guard i >= 0 && i < n else { return nil }
        return (mx - xIndexStart) * n + i
    }

    /// Largest kept wavenumber magnitude along an axis, K·2π/L.
    public var kMaxDealiased: Double { Double(dealiasIndex) * deltaK }

    /// Grid spacing L/N.
    public var spacing: Double { boxLength / Double(n) }

    /// Number of real points N².
    public var pointCount: Int { n * n }

    /// Local real rows count.
    public var localRows: Int { rows.count }

    /// A spectral array of this grid.
    public func makeSpectral() -> FFTArray { plan.makeSpectralArray() }

    /// A real array of this grid.
    public func makeReal() -> FFTArray { plan.makeRealArray() }

    /// Σ over the full spectrum of weight·f(e) on every rank (collective).
    public func sumModes(_ body: (Int) -> Double) throws -> Double {
        var s = 0.0
        for e in 0 ..< modeCount { s += weight[e] * body(e) }
        return try communicator.allreduce(s, .sum)
    }

    /// Several such sums in one reduction (collective).
    public func sumModes(_ count: Int, _ body: (Int, inout [Double]) -> Void) throws -> [Double] {
        var sums = [Double](repeating: 0, count: count)
        var local = [Double](repeating: 0, count: count)
        for e in 0 ..< modeCount {
            for q in 0 ..< count { local[q] = 0 }
            body(e, &local)
            let w = weight[e]
            for q in 0 ..< count { sums[q] += w * local[q] }
        }
        return try communicator.allreduce(sums, .sum)
    }

    /// Spectral → physical: `spectral` (normalised coefficients, destroyed) into `real`.
    public func toPhysical(_ spectral: FFTArray, _ real: FFTArray) { plan.backward(spectral, real) }

    /// Physical → normalised spectral coefficients (multiplied by `dealias` if asked).
    public func toSpectral(_ real: FFTArray, _ spectral: FFTArray, dealiased: Bool = true) {
        plan.forward(real, spectral)
        let scale = 1 / Double(pointCount)
        let s = spectral.pointer
        for e in 0 ..< modeCount {
            let f = dealiased ? scale * dealias[e] : scale
            s[2 * e] *= f
            s[2 * e + 1] *= f
        }
    }

    /// Fills the local real array from f(x, y).
    public func fillPhysical(_ real: FFTArray, _ f: (_ x: Double, _ y: Double) -> Double) {
        let h = spacing
        for (r, row) in rows.enumerated() {
            let y = Double(row) * h
            let base = real.pointer + r * rowStride
            for c in 0 ..< n { base[c] = f(Double(c) * h, y) }
        }
    }

    /// Makes the kx = 0 column Hermitian (f̂(0, −m) = conj f̂(0, m), real f̂(0,0) and f̂(0, N/2)),
    /// as a real field needs; the rank owning kx = 0 does it locally.
    public func enforceHermitian(_ spectral: FFTArray) {
        guard xIndexStart == 0, modeCount > 0 else { return }
        let s = spectral.pointer
        for i in 1 ..< n / 2 {
            s[2 * (n - i)] = s[2 * i]
            s[2 * (n - i) + 1] = -s[2 * i + 1]
        }
        s[1] = 0
        s[2 * (n / 2) + 1] = 0
    }

    /// One line for logs.
    public var summary: String {
        "grid \(n)² box \(String(format: "%.6g", boxLength)), 2/3 dealiasing |m| ≤ \(dealiasIndex); \(plan.summary)"
    }
}
