import CounterRNG
import DistributedFFT
import Foundation

/// How the flow is forced.
public enum ForcingKind: String, Sendable, CaseIterable {
    /// No forcing.
    case none
    /// White-in-time Gaussian forcing in the band: after every step ω̂ += √dt·a·ξ with ξ
    /// complex unit normals; a is set so the expected energy injection rate is exactly ε.
    case white
    /// Time-correlated forcing: an Ornstein–Uhlenbeck process g(t) (correlation time τ) in the
    /// band, applied as ω̂ += dt·a·g after every step with a chosen each step so that exactly
    /// ε·dt of energy is injected (constant injection rate).
    case correlated
    /// Deterministic Kolmogorov forcing: force (F sin(kf·y), 0), i.e. the vorticity source
    /// −F·kf·cos(kf·y), added to every stage.
    case kolmogorov
}

/// Forcing of the vorticity equation; random numbers come from ``CounterRNG`` keyed by the
/// global wavenumber (stream) and the step (index), so every rank count gives the same run.
public final class Forcing2D {
    /// The kind.
    public let kind: ForcingKind
    /// Prescribed energy injection rate ε (white, correlated).
    public let injectionRate: Double
    /// Band centre kf and half width δk (physical wavenumbers); for Kolmogorov kf is the
    /// forcing wavenumber.
    public let kf: Double, bandHalfWidth: Double
    /// Correlation time τ (correlated).
    public let correlationTime: Double
    /// Force amplitude F (Kolmogorov).
    public let amplitude: Double
    /// Seed of the random numbers.
    public let seed: UInt64
    /// Local forced modes (the band, dealiased, kx = 0 modes with my > 0 only; their
    /// conjugates are set from them).
    public let modes: [Int]
    /// The Ornstein–Uhlenbeck state g per local mode of the grid (correlated only).
    public let state: FFTArray?

    private let grid: SpectralGrid2D
    /// Per forced mode: its conjugate partner's local index (kx = 0 column) or −1.
    private let partners: [Int]
    private let streams: [UInt64]
    /// Amplitude a of the white forcing.
    public private(set) var whiteAmplitude = 0.0
    /// Reduction buffer, reused every step (a kick allocates nothing).
    private var sums = [0.0, 0.0]

    /// Number of forced modes over all ranks (each ±k pair counted once).
    public let globalModeCount: Int

    public init(kind: ForcingKind, grid: SpectralGrid2D, injectionRate: Double = 0, kf: Double = 0,
                bandHalfWidth: Double = 0, correlationTime: Double = 1, amplitude: Double = 0, seed: UInt64 = 0) throws {
        self.kind = kind
        self.grid = grid
        self.injectionRate = injectionRate
        self.kf = kf
        self.bandHalfWidth = bandHalfWidth
        self.correlationTime = correlationTime
        self.amplitude = amplitude
        self.seed = seed
        var modes: [Int] = [], partners: [Int] = [], streams: [UInt64] = []
        if kind == .white || kind == .correlated {
            for e in 0 ..< grid.modeCount where grid.dealias[e] == 1 && grid.k2[e] > 0 {
                let k = grid.k2[e].squareRoot()
                guard k >= kf - bandHalfWidth - 1e-12 * kf && k <= kf + bandHalfWidth + 1e-12 * kf else { continue }
                let (mx, my) = grid.integerWavenumber(e)
                if mx == 0 && my < 0 { continue }
                modes.append(e)
                partners.append(mx == 0 ? grid.localMode(mx: 0, my: -my)! : -1)
                // One stream per global wavenumber: the same numbers on any rank count.
                streams.append(UInt64(mx) * UInt64(grid.n) + UInt64(my >= 0 ? my : my + grid.n))
            }
        }
        self.modes = modes
        self.partners = partners
        self.streams = streams
        globalModeCount = try grid.communicator.allreduce(modes.count, .sum)
        state = kind == .correlated ? grid.makeSpectral() : nil
        if kind == .white || kind == .correlated {
            // Σ over the full spectrum of 1/k² in the band (a ±k pair counts twice).
            var s = 0.0
            for (q, e) in modes.enumerated() { s += (partners[q] >= 0 ? 2 : grid.weight[e]) * grid.inverseK2[e] }
            let total = try grid.communicator.allreduce(s, .sum)
            // E[ΔE] per step = ½ Σ a² dt E|ξ|²/k² with E|ξ|² = 1  ⇒  a² = 2ε / Σ 1/k².
            whiteAmplitude = total > 0 ? (2 * injectionRate / total).squareRoot() : 0
        }
    }

    /// A complex unit normal (E|ξ|² = 1) for forced mode `q` at `step`, `draw` 0 or 1.
    @inline(__always)
    private func noise(_ q: Int, step: Int, draw: Int) -> (Double, Double) {
        let rng = CounterRNG(seed: seed, stream: streams[q])
        let base = UInt64(step) * 4 + UInt64(draw) * 2
        return (rng.normal(at: base) * 0.5.squareRoot(), rng.normal(at: base + 1) * 0.5.squareRoot())
    }

    /// The vorticity source of Kolmogorov forcing (normalised coefficients), or nil.
    public func steadyTerm() -> FFTArray? {
        guard kind == .kolmogorov else { return nil }
        let f = grid.makeSpectral()
        let m = Int((kf / grid.deltaK).rounded())
        // −F·kf·cos(kf y) = −F·kf/2 (e^{i kf y} + e^{−i kf y})
        for my in [m, -m] {
            if let e = grid.localMode(mx: 0, my: my) { f.pointer[2 * e] = -amplitude * kf / 2 }
        }
        return f
    }

    /// Applies the stochastic forcing of step `step` (after the deterministic step of length
    /// `dt`) to `omega`; returns the energy and enstrophy it injected (energy exactly ε·dt for
    /// `correlated`; ε·dt in expectation for `white`). Collective.
    @discardableResult
    public func kick(_ omega: FFTArray, step: Int, dt: Double) throws -> (energy: Double, enstrophy: Double) {
        let w = omega.pointer
        switch kind {
        case .none, .kolmogorov:
            return (0, 0)
        case .white:
            let a = whiteAmplitude * dt.squareRoot()
            sums[0] = 0; sums[1] = 0
            for (q, e) in modes.enumerated() {
                let (xr, xi) = noise(q, step: step, draw: 0)
                apply(w, q, e, a * xr, a * xi, &sums)
            }
            try grid.communicator.allreduce(inPlace: &sums, .sum)
            return (sums[0], sums[1])
        case .correlated:
            let g = state!.pointer
            let decay = exp(-dt / correlationTime), spread = (1 - decay * decay).squareRoot()
            sums[0] = 0; sums[1] = 0   // A = Σ Re(ω̄ g)/k², B = Σ |g|²/k²  (full spectrum)
            for (q, e) in modes.enumerated() {
                let (xr, xi) = noise(q, step: step, draw: 1)
                g[2 * e] = decay * g[2 * e] + spread * xr
                g[2 * e + 1] = decay * g[2 * e + 1] + spread * xi
                let wt = (partners[q] >= 0 ? 2 : grid.weight[e]) * grid.inverseK2[e]
                sums[0] += wt * (w[2 * e] * g[2 * e] + w[2 * e + 1] * g[2 * e + 1])
                sums[1] += wt * (g[2 * e] * g[2 * e] + g[2 * e + 1] * g[2 * e + 1])
            }
            try grid.communicator.allreduce(inPlace: &sums, .sum)
            // ΔE = dt·a·A + ½ dt² a² B = ε dt  ⇒  a = (−A + √(A² + 2 dt B ε)) / (dt B)
            let A = sums[0], B = sums[1]
            guard B > 0 else { return (0, 0) }
            let a = (-A + (A * A + 2 * dt * B * injectionRate).squareRoot()) / (dt * B)
            sums[0] = 0; sums[1] = 0
            for (q, e) in modes.enumerated() { apply(w, q, e, dt * a * g[2 * e], dt * a * g[2 * e + 1], &sums) }
            try grid.communicator.allreduce(inPlace: &sums, .sum)
            return (sums[0], sums[1])
        }
    }

    /// ω̂_e += (dr, di) (and the conjugate partner); adds the local energy and enstrophy change to `sums`.
    private func apply(_ w: UnsafeMutablePointer<Double>, _ q: Int, _ e: Int, _ dr: Double, _ di: Double,
                       _ sums: inout [Double]) {
        let or = w[2 * e], oi = w[2 * e + 1]
        w[2 * e] = or + dr
        w[2 * e + 1] = oi + di
        let p = partners[q]
        if p >= 0 {
            if p == e { w[2 * e + 1] = 0 } else { w[2 * p] = w[2 * e]; w[2 * p + 1] = -w[2 * e + 1] }
        }
        let wt = p >= 0 && p != e ? 2 : grid.weight[e]
        let nr = w[2 * e], ni = w[2 * e + 1]
        let dz = 0.5 * wt * (nr * nr + ni * ni - or * or - oi * oi)
        sums[0] += dz * grid.inverseK2[e]
        sums[1] += dz
    }

    /// Energy injection rate of the steady (Kolmogorov) term at state `omega`:
    /// Σ Re(conj ω̂ f̂)/k² over the full spectrum (collective).
    /// Called every step, so it visits only the two forced modes (0, ±kf), not the whole spectrum.
    public func steadyInjection(_ omega: FFTArray, term: FFTArray) throws -> (energy: Double, enstrophy: Double) {
        let w = omega.pointer, f = term.pointer
        let m = Int((kf / grid.deltaK).rounded())
        sums[0] = 0; sums[1] = 0
        for my in [m, -m] {
            guard let e = grid.localMode(mx: 0, my: my) else { continue }
            let p = grid.weight[e] * (w[2 * e] * f[2 * e] + w[2 * e + 1] * f[2 * e + 1])
            sums[0] += p * grid.inverseK2[e]
            sums[1] += p
        }
        try grid.communicator.allreduce(inPlace: &sums, .sum)
        return (sums[0], sums[1])
    }
}
