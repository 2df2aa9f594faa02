import DistributedFFT
import Foundation

/// Time-stepping schemes of ``NavierStokes2D``. Both integrate the linear dissipative terms
/// exactly with an integrating factor, so a single-mode flow decays exactly as exp(L t).
public enum TimeScheme: String, Sendable, CaseIterable {
    /// Integrating-factor classical Runge–Kutta, 4th order, 4 nonlinear evaluations per step.
    case rk4
    /// Integrating-factor midpoint Runge–Kutta, 2nd order, 2 nonlinear evaluations per step.
    case rk2

    /// Nonlinear-term evaluations per step.
    public var stages: Int { self == .rk4 ? 4 : 2 }
    /// Order of accuracy.
    public var order: Int { self == .rk4 ? 4 : 2 }
}

/// Incompressible 2D Navier–Stokes in vorticity form on a ``SpectralGrid2D``:
///
///   ∂ω/∂t + u·∇ω = −ν(−∇²)^n ω − α(−∇²)^m ω + f,   u = (∂ψ/∂y, −∂ψ/∂x),  ω = −∇²ψ.
///
/// The state ``omega`` holds normalised Fourier coefficients (see ``SpectralGrid2D``), kept
/// 2/3-dealiased. The nonlinear term is evaluated pseudo-spectrally in advective form with
/// 4 backward and 1 forward transforms, pruned to the kept modes by a ``DealiasedProductPlan``
/// (real-space fields exist only a few rows at a time, in cache); every buffer is allocated
/// here, once, and a step allocates nothing. A deterministic forcing term (added every stage) is optional;
/// stochastic forcing is applied by the caller between steps (see ``Forcing2D``).
public final class NavierStokes2D {
    /// The grid and its transforms.
    public let grid: SpectralGrid2D
    /// The dissipative terms.
    public let dissipation: Dissipation
    /// The scheme.
    public let scheme: TimeScheme
    /// The vorticity ω̂ (normalised coefficients, (re, im) pairs).
    public let omega: FFTArray
    /// Time.
    public var time = 0.0
    /// Steps taken.
    public var stepCount = 0
    /// A time-independent forcing term f̂ of the vorticity equation, added at every stage.
    /// Setting it discards a prepared first stage (which includes it).
    public var steadyForcing: FFTArray? { didSet { prepared = false } }
    /// Largest |u| and |v| over the grid at the start of the last step (from its first stage).
    public private(set) var maxVelocity: (u: Double, v: Double) = (0, 0)

    /// The pruned product −(u ∂xω + v ∂yω): its four inputs (kept kx rows of the spectral
    /// layout; ∂xω is input 0, which the kernel overwrites with the product) and its raw output.
    private let product: DealiasedProductPlan
    private let specWx: UnsafeMutablePointer<Double>, specU: UnsafeMutablePointer<Double>
    private let specV: UnsafeMutablePointer<Double>, specWy: UnsafeMutablePointer<Double>
    private let nonlinearTerm: FFTArray
    /// RK accumulator (kept rows only).
    private let accumulator: FFTArray
    /// A full spectral array for ``velocity(intoU:v:)`` (diagnostics), made on first use.
    private lazy var velocityScratch = grid.makeSpectral()
    /// exp(L dt/2) per kept mode, for ``factorStep``. A step with another dt recomputes them
    /// inside its first stage pass (no pass of its own), so changing dt costs only the exp()s.
    private let halfFactor: UnsafeMutablePointer<Double>
    private var factorStep = Double.nan
    /// −L(k) per mode.
    private let rate: UnsafeMutablePointer<Double>
    /// ky by FFT index i (N values: stays in cache).
    private let kyTable: [Double]
    /// Local kx rows (kx index j ≤ K) that hold kept modes, and the kept ky indices per row:
    /// 0…K and N−K…N−1. Loops visit only these (4/9 of the modes); the rest stay zero.
    private let keptRows: Int
    private let keptLow: Int, keptHighStart: Int
    /// Reduction buffer of the velocity maxima, reused every step.
    private var maxima = [0.0, 0.0]

    /// Makes the solver and plans its pruned product (collective; FFTW planning effort of the grid).
    public init(grid: SpectralGrid2D, dissipation: Dissipation, scheme: TimeScheme = .rk4) throws {
        self.grid = grid
        self.dissipation = dissipation
        self.scheme = scheme
        omega = grid.makeSpectral()
        product = try DealiasedProductPlan(plan: grid.plan, keptX: grid.dealiasIndex, inputs: 4,
                                           communicator: grid.communicator, effort: grid.plan.effort,
                                           wisdomFile: grid.wisdomFile)
        specWx = product.input(0); specU = product.input(1); specV = product.input(2); specWy = product.input(3)
        nonlinearTerm = product.output
        accumulator = FFTArray(count: 2 * max(product.keptRows, 1) * grid.n)
        let count = max(grid.modeCount, 1)
        halfFactor = .allocate(capacity: count)
        halfFactor.initialize(repeating: 1, count: count)
        rate = .allocate(capacity: count)
        for e in 0 ..< grid.modeCount { rate[e] = dissipation.rate(k2: grid.k2[e]) }
        let n = grid.n
        kyTable = (0 ..< n).map { grid.deltaK * Double($0 <= n / 2 ? $0 : $0 - n) }
        keptRows = product.keptRows
        keptLow = grid.dealiasIndex + 1
        keptHighStart = n - grid.dealiasIndex
    }

    deinit {
        halfFactor.deallocate(); rate.deallocate()
    }

    /// −L(k) of local mode `e`.
    public func dissipationRate(_ e: Int) -> Double { rate[e] }

    // MARK: Kernels

    /// Calls `body(e, kx, ky, 1/k²)` for every kept (dealiased) local mode, row by row.
    @inline(__always)
    private func forKeptModes(_ body: (Int, Double, Double, Double) -> Void) {
        let n = grid.n, dk = grid.deltaK
        kyTable.withUnsafeBufferPointer { ky in
            for row in 0 ..< keptRows {
                let kx = dk * Double(grid.xIndexStart + row), kx2 = kx * kx
                let base = row * n
                for i in 0 ..< keptLow {
                    let k2 = kx2 + ky[i] * ky[i]
                    body(base + i, kx, ky[i], k2 > 0 ? 1 / k2 : 0)
                }
                for i in keptHighStart ..< n {
                    body(base + i, kx, ky[i], 1 / (kx2 + ky[i] * ky[i]))
                }
            }
        }
    }

    /// Writes the transform inputs of û, v̂, ∂xω̂, ∂yω̂ for a stage value (re, im) of mode e:
    /// ψ̂ = ω̂/k²; û = i ky ψ̂; v̂ = −i kx ψ̂; ∂xω = i kx ω̂; ∂yω = i ky ω̂   (i(a+ib) = −b + ia).
    @inline(__always)
    private func emit(_ e: Int, _ re: Double, _ im: Double, _ kx: Double, _ ky: Double, _ ik2: Double,
                      _ su: UnsafeMutablePointer<Double>, _ sv: UnsafeMutablePointer<Double>,
                      _ sx: UnsafeMutablePointer<Double>, _ sy: UnsafeMutablePointer<Double>) {
        let pr = re * ik2, pi = im * ik2
        su[2 * e] = -ky * pi; su[2 * e + 1] = ky * pr
        sv[2 * e] = kx * pi; sv[2 * e + 1] = -kx * pr
        sx[2 * e] = -kx * im; sx[2 * e + 1] = kx * re
        sy[2 * e] = -ky * im; sy[2 * e + 1] = ky * re
    }

    /// The product −(u ∂xω + v ∂yω) of the four inputs into ``nonlinearTerm`` (raw: N² times
    /// the normalised coefficients, kept rows only; modes beyond the 2/3 limit not zeroed).
    private func transformProduct() { _ = transformProduct(measure: false) }

    /// ``transformProduct()``, then the velocity maxima (a non-finite u or v makes the u
    /// maximum infinite) reduced over ranks into ``maxVelocity``. Collective; throws the
    /// reduction's MPI error (``maxVelocity`` is then NaN).
    private func transformProductMeasuring() throws {
        let local = transformProduct(measure: true)
        maxima[0] = local.finite ? local.u : .infinity
        maxima[1] = local.v
        do {
            try grid.communicator.allreduce(inPlace: &maxima, .max)
        } catch {
            maxVelocity = (.nan, .nan)
            throw error
        }
        maxVelocity = (maxima[0], maxima[1])
    }

    private func transformProduct(measure: Bool) -> (u: Double, v: Double, finite: Bool) {
        var umax = 0.0, vmax = 0.0, finite = true
        product.execute { b in
            let n = b.columns
            for r in 0 ..< b.rows {
                let wx = b.row(0, r), u = b.row(1, r), v = b.row(2, r), wy = b.row(3, r)
                for c in 0 ..< n { wx[c] = -(u[c] * wx[c] + v[c] * wy[c]) }
                if measure {
                    for c in 0 ..< n { umax = max(umax, abs(u[c])); vmax = max(vmax, abs(v[c])) }
                    for c in 0 ..< n where !(u[c].isFinite && v[c].isFinite) { finite = false }
                }
            }
        }
        return (umax, vmax, finite)
    }

    /// Scale of the raw transform: 1/N².
    private var rawScale: Double { 1 / Double(grid.pointCount) }

    /// Adds the steady forcing to the kept modes of the scaled nonlinear value (done in place on
    /// the raw transform: f·N²), so the stage loops need no extra array.
    private func addSteadyForcing() {
        guard let f = steadyForcing?.pointer else { return }
        let t = nonlinearTerm.pointer, n2 = Double(grid.pointCount)
        forKeptModes { e, _, _, _ in
            t[2 * e] += n2 * f[2 * e]
            t[2 * e + 1] += n2 * f[2 * e + 1]
        }
    }

    /// The nonlinear term N̂ = −FT(u·∇ω) (dealiased; plus the steady forcing if
    /// `includingForcing`) of `w` into `out` (normalised coefficients, discarded modes zero).
    /// With `measure`, also sets ``maxVelocity``. Collective; throws an MPI error of the
    /// velocity reduction. For diagnostics; the time step uses fused kernels.
    ///
    /// It shares the step's transform buffers, so it discards a prepared first stage: a
    /// following ``step(dt:)`` prepares it again (same result as without this call).
    public func nonlinear(_ w: FFTArray, into out: FFTArray, measure: Bool = false,
                          includingForcing: Bool = true) throws {
        prepared = false
        let s = w.pointer, su = specU, sv = specV, sx = specWx, sy = specWy
        forKeptModes { e, kx, ky, ik2 in emit(e, s[2 * e], s[2 * e + 1], kx, ky, ik2, su, sv, sx, sy) }
        if measure { try transformProductMeasuring() } else { transformProduct() }
        if includingForcing { addSteadyForcing() }
        out.zero()
        let t = nonlinearTerm.pointer, o = out.pointer, sc = rawScale
        forKeptModes { e, _, _, _ in
            o[2 * e] = sc * t[2 * e]
            o[2 * e + 1] = sc * t[2 * e + 1]
        }
    }

    /// The velocity field (normalised coefficients → physical) of the current state, into the
    /// given real arrays (collective). Uses the solver's spectral scratch.
    public func velocity(intoU u: FFTArray, v: FFTArray) {
        let m = grid.modeCount
        let s = omega.pointer, scratch = velocityScratch, t = scratch.pointer
        for e in 0 ..< m {   // û = i ky ψ̂
            let pr = s[2 * e] * grid.inverseK2[e], pi = s[2 * e + 1] * grid.inverseK2[e]
            t[2 * e] = -grid.ky[e] * pi; t[2 * e + 1] = grid.ky[e] * pr
        }
        grid.toPhysical(scratch, u)
        for e in 0 ..< m {   // v̂ = −i kx ψ̂
            let pr = s[2 * e] * grid.inverseK2[e], pi = s[2 * e + 1] * grid.inverseK2[e]
            t[2 * e] = grid.kx[e] * pi; t[2 * e + 1] = -grid.kx[e] * pr
        }
        grid.toPhysical(scratch, v)
    }

    /// Evaluates the first stage (the nonlinear term of the current state) and measures the
    /// velocity, so that a caller can choose dt by CFL before calling ``step(dt:)``.
    /// Collective; throws an MPI error of the velocity reduction.
    ///
    /// The prepared stage is used by the next ``step(dt:)`` only if it still belongs to the
    /// state: ``nonlinear(_:into:measure:includingForcing:)`` (and so ``spectra(scratch:)``) and
    /// setting ``steadyForcing`` discard it, and ``step(dt:)`` checks a fingerprint of ``omega``
    /// (all its bits), so a state changed in between (a forcing kick, a restart) is prepared anew.
    public func prepareStep() throws {
        prepared = false
        let s = omega.pointer, su = specU, sv = specV, sx = specWx, sy = specWy
        var hash = NavierStokes2D.fingerprintSeed
        forKeptModes { e, kx, ky, ik2 in
            let re = s[2 * e], im = s[2 * e + 1]
            hash &+= NavierStokes2D.mix(re, im)
            emit(e, re, im, kx, ky, ik2, su, sv, sx, sy)
        }
        try transformProductMeasuring()
        addSteadyForcing()
        preparedFingerprint = hash
        prepared = true
    }
    private var prepared = false
    private var preparedFingerprint: UInt64 = 0

    private static let fingerprintSeed: UInt64 = 0xcbf2_9ce4_8422_2325
    /// One mode's contribution: a wrapping sum of independent per-mode terms (no multiply chain
    /// from one mode to the next), so the check costs a plain read pass; any change of a mode's
    /// bits changes the sum unless other changes cancel it exactly.
    @inline(__always)
    private static func mix(_ re: Double, _ im: Double) -> UInt64 {
        let m = (re.bitPattern ^ (im.bitPattern &* 0x9e37_79b9_7f4a_7c15)) &* 0xbf58_476d_1ce4_e5b9
        return m ^ (m >> 31)
    }

    /// Fingerprint of the kept modes of ``omega`` (the one ``prepareStep()`` takes).
    private func stateFingerprint() -> UInt64 {
        let s = omega.pointer
        var hash = NavierStokes2D.fingerprintSeed
        forKeptModes { e, _, _, _ in hash &+= NavierStokes2D.mix(s[2 * e], s[2 * e + 1]) }
        return hash
    }

    /// CFL number dt·(max|u| + max|v|)/Δx of the current state (after ``prepareStep()``).
    public func cfl(dt: Double) -> Double { dt * (maxVelocity.u + maxVelocity.v) / grid.spacing }

    /// Advances the state by `dt` with the scheme. Collective; allocates nothing. Uses the stage
    /// of ``prepareStep()`` if it still belongs to the current state, else prepares it (throwing
    /// as ``prepareStep()`` does). Any sequence of calls gives the same, bit-identical result.
    ///
    /// Each stage is one fused pass over the kept modes: it reads the state, the previous
    /// stage's nonlinear term (scaled by 1/N² on the fly) and the accumulator, and writes the
    /// accumulator and the next stage's four transform inputs; the stage value itself is never
    /// stored. Modes beyond the 2/3 limit are never touched, so the state stays dealiased.
    public func step(dt: Double) throws {
        if !prepared || stateFingerprint() != preparedFingerprint { try prepareStep() }
        prepared = false
        // exp(L dt/2) is recomputed (lazily, in the first stage pass) only when dt changed.
        let fresh = dt != factorStep
        factorStep = dt
        let w = omega.pointer, acc = accumulator.pointer, nl = nonlinearTerm.pointer, h = halfFactor, r = rate
        let su = specU, sv = specV, sx = specWx, sy = specWy
        let sc = rawScale
        switch scheme {
        case .rk4:
            // a = E(ω + dt/2 k1); acc = E²(ω + dt/6 k1)
            forKeptModes { e, kx, ky, ik2 in
                let E: Double
                if fresh { E = exp(-0.5 * dt * r[e]); h[e] = E } else { E = h[e] }
                let E2 = E * E
                let n0 = sc * nl[2 * e], n1 = sc * nl[2 * e + 1]
                let w0 = w[2 * e], w1 = w[2 * e + 1]
                acc[2 * e] = E2 * (w0 + dt / 6 * n0); acc[2 * e + 1] = E2 * (w1 + dt / 6 * n1)
                emit(e, E * (w0 + 0.5 * dt * n0), E * (w1 + 0.5 * dt * n1), kx, ky, ik2, su, sv, sx, sy)
            }
            transformProduct(); addSteadyForcing()
            // b = Eω + dt/2 k2; acc += dt/3 E k2
            forKeptModes { e, kx, ky, ik2 in
                let E = h[e]
                let n0 = sc * nl[2 * e], n1 = sc * nl[2 * e + 1]
                acc[2 * e] += dt / 3 * E * n0; acc[2 * e + 1] += dt / 3 * E * n1
                emit(e, E * w[2 * e] + 0.5 * dt * n0, E * w[2 * e + 1] + 0.5 * dt * n1, kx, ky, ik2, su, sv, sx, sy)
            }
            transformProduct(); addSteadyForcing()
            // c = E²ω + dt E k3; acc += dt/3 E k3
            forKeptModes { e, kx, ky, ik2 in
                let E = h[e], E2 = E * E
                let n0 = sc * nl[2 * e], n1 = sc * nl[2 * e + 1]
                acc[2 * e] += dt / 3 * E * n0; acc[2 * e + 1] += dt / 3 * E * n1
                emit(e, E2 * w[2 * e] + dt * E * n0, E2 * w[2 * e + 1] + dt * E * n1, kx, ky, ik2, su, sv, sx, sy)
            }
            transformProduct(); addSteadyForcing()
            // ω ← acc + dt/6 k4
            forKeptModes { e, _, _, _ in
                w[2 * e] = acc[2 * e] + dt / 6 * sc * nl[2 * e]
                w[2 * e + 1] = acc[2 * e + 1] + dt / 6 * sc * nl[2 * e + 1]
            }
        case .rk2:
            // midpoint: a = E(ω + dt/2 k1); ω ← E²ω + dt E k2
            forKeptModes { e, kx, ky, ik2 in
                let E: Double
                if fresh { E = exp(-0.5 * dt * r[e]); h[e] = E } else { E = h[e] }
                emit(e, E * (w[2 * e] + 0.5 * dt * sc * nl[2 * e]), E * (w[2 * e + 1] + 0.5 * dt * sc * nl[2 * e + 1]),
                     kx, ky, ik2, su, sv, sx, sy)
            }
            transformProduct(); addSteadyForcing()
            forKeptModes { e, _, _, _ in
                let E = h[e], E2 = E * E
                w[2 * e] = E2 * w[2 * e] + dt * E * sc * nl[2 * e]
                w[2 * e + 1] = E2 * w[2 * e + 1] + dt * E * sc * nl[2 * e + 1]
            }
        }
        time += dt
        stepCount += 1
    }

    /// The state was changed from outside (forcing kick, restart): forget the prepared first
    /// stage. Optional (``step(dt:)`` detects a changed state itself); saves the check's pass.
    public func stateChanged() { prepared = false }
}
