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
/// 4 backward and 1 forward transforms; every buffer is allocated here, once, and a step
/// allocates nothing. A deterministic forcing term (added every stage) is optional;
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
    public var steadyForcing: FFTArray?
    /// Largest |u| and |v| over the grid at the start of the last step (from its first stage).
    public private(set) var maxVelocity: (u: Double, v: Double) = (0, 0)

    // Scratch: stage input, accumulator, nonlinear term; four spectral and four real arrays.
    private let stage: FFTArray, accumulator: FFTArray, nonlinearTerm: FFTArray
    private let specU: FFTArray, specV: FFTArray, specWx: FFTArray, specWy: FFTArray
    private let realU: FFTArray, realV: FFTArray, realWx: FFTArray, realWy: FFTArray
    /// exp(L dt/2) per mode, for ``factorStep``.
    private let halfFactor: UnsafeMutablePointer<Double>
    private var factorStep = Double.nan
    /// −L(k) per mode.
    private let rate: UnsafeMutablePointer<Double>
    /// dealias/N² per mode: scales the raw forward transform of the nonlinear product.
    private let nonlinearScale: UnsafeMutablePointer<Double>

    public init(grid: SpectralGrid2D, dissipation: Dissipation, scheme: TimeScheme = .rk4) {
        self.grid = grid
        self.dissipation = dissipation
        self.scheme = scheme
        omega = grid.makeSpectral()
        stage = grid.makeSpectral(); accumulator = grid.makeSpectral(); nonlinearTerm = grid.makeSpectral()
        specU = grid.makeSpectral(); specV = grid.makeSpectral(); specWx = grid.makeSpectral(); specWy = grid.makeSpectral()
        realU = grid.makeReal(); realV = grid.makeReal(); realWx = grid.makeReal(); realWy = grid.makeReal()
        let count = max(grid.modeCount, 1)
        halfFactor = .allocate(capacity: count)
        rate = .allocate(capacity: count)
        nonlinearScale = .allocate(capacity: count)
        let scale = 1 / Double(grid.pointCount)
        for e in 0 ..< grid.modeCount {
            rate[e] = dissipation.rate(k2: grid.k2[e])
            nonlinearScale[e] = grid.dealias[e] * scale
        }
    }

    deinit {
        halfFactor.deallocate(); rate.deallocate(); nonlinearScale.deallocate()
    }

    /// −L(k) of local mode `e`.
    public func dissipationRate(_ e: Int) -> Double { rate[e] }

    /// The nonlinear term N̂ = −FT(u·∇ω) (dealiased, plus the steady forcing) of `w` into `out`.
    /// With `measure`, also sets ``maxVelocity``. Collective; allocates nothing.
    public func nonlinear(_ w: FFTArray, into out: FFTArray, measure: Bool = false) {
        let m = grid.modeCount
        let kx = grid.kx, ky = grid.ky, ik2 = grid.inverseK2
        let s = w.pointer, su = specU.pointer, sv = specV.pointer, sx = specWx.pointer, sy = specWy.pointer
        // ψ̂ = ω̂/k²; û = i ky ψ̂; v̂ = −i kx ψ̂; ∂xω = i kx ω̂; ∂yω = i ky ω̂   (i(a+ib) = −b + ia)
        for e in 0 ..< m {
            let re = s[2 * e], im = s[2 * e + 1]
            let pr = re * ik2[e], pi = im * ik2[e]
            let a = kx[e], b = ky[e]
            su[2 * e] = -b * pi; su[2 * e + 1] = b * pr
            sv[2 * e] = a * pi; sv[2 * e + 1] = -a * pr
            sx[2 * e] = -a * im; sx[2 * e + 1] = a * re
            sy[2 * e] = -b * im; sy[2 * e + 1] = b * re
        }
        grid.toPhysical(specU, realU)
        grid.toPhysical(specV, realV)
        grid.toPhysical(specWx, realWx)
        grid.toPhysical(specWy, realWy)
        let n = grid.n, stride = grid.rowStride
        let u = realU.pointer, v = realV.pointer, wx = realWx.pointer, wy = realWy.pointer
        var umax = 0.0, vmax = 0.0
        for r in 0 ..< grid.localRows {
            let o = r * stride
            for c in o ..< o + n {
                wx[c] = -(u[c] * wx[c] + v[c] * wy[c])
            }
            if measure {
                for c in o ..< o + n {
                    umax = max(umax, abs(u[c])); vmax = max(vmax, abs(v[c]))
                    if u[c].isNaN || v[c].isNaN { umax = .nan }
                }
            }
        }
        grid.plan.forward(realWx, out)
        let o = out.pointer, sc = nonlinearScale
        for e in 0 ..< m {
            o[2 * e] *= sc[e]
            o[2 * e + 1] *= sc[e]
        }
        if let f = steadyForcing?.pointer {
            for q in 0 ..< 2 * m { o[q] += f[q] }
        }
        if measure {
            let maxima = (try? grid.communicator.allreduce([umax.isNaN ? .infinity : umax, vmax], .max)) ?? [.nan, .nan]
            maxVelocity = (maxima[0], maxima[1])
        }
    }

    /// The velocity field (normalised coefficients → physical) of the current state, into the
    /// given real arrays (collective). Uses the solver's spectral scratch.
    public func velocity(intoU u: FFTArray, v: FFTArray) {
        let m = grid.modeCount
        let s = omega.pointer, su = specU.pointer, sv = specV.pointer
        for e in 0 ..< m {
            let pr = s[2 * e] * grid.inverseK2[e], pi = s[2 * e + 1] * grid.inverseK2[e]
            su[2 * e] = -grid.ky[e] * pi; su[2 * e + 1] = grid.ky[e] * pr
            sv[2 * e] = grid.kx[e] * pi; sv[2 * e + 1] = -grid.kx[e] * pr
        }
        grid.toPhysical(specU, u)
        grid.toPhysical(specV, v)
    }

    /// Evaluates the first stage (the nonlinear term of the current state) and measures the
    /// velocity, so that a caller can choose dt by CFL before calling ``step(dt:)``.
    public func prepareStep() {
        nonlinear(omega, into: nonlinearTerm, measure: true)
        prepared = true
    }
    private var prepared = false

    /// CFL number dt·(max|u| + max|v|)/Δx of the current state (after ``prepareStep()``).
    public func cfl(dt: Double) -> Double { dt * (maxVelocity.u + maxVelocity.v) / grid.spacing }

    /// Advances the state by `dt` with the scheme. Collective; allocates nothing.
    public func step(dt: Double) {
        if !prepared { prepareStep() }
        prepared = false
        updateFactors(dt)
        let m = grid.modeCount, w = omega.pointer, acc = accumulator.pointer, st = stage.pointer
        let nl = nonlinearTerm.pointer, h = halfFactor
        switch scheme {
        case .rk4:
            // a = E(ω + dt/2 k1); acc = E²ω + dt/6 E² k1
            for e in 0 ..< m {
                let E = h[e], E2 = E * E
                for q in 2 * e ... 2 * e + 1 {
                    st[q] = E * (w[q] + 0.5 * dt * nl[q])
                    acc[q] = E2 * (w[q] + dt / 6 * nl[q])
                }
            }
            nonlinear(stage, into: nonlinearTerm)
            // b = Eω + dt/2 k2; acc += dt/3 E k2
            for e in 0 ..< m {
                let E = h[e]
                for q in 2 * e ... 2 * e + 1 {
                    st[q] = E * w[q] + 0.5 * dt * nl[q]
                    acc[q] += dt / 3 * E * nl[q]
                }
            }
            nonlinear(stage, into: nonlinearTerm)
            // c = E²ω + dt E k3; acc += dt/3 E k3
            for e in 0 ..< m {
                let E = h[e], E2 = E * E
                for q in 2 * e ... 2 * e + 1 {
                    st[q] = E2 * w[q] + dt * E * nl[q]
                    acc[q] += dt / 3 * E * nl[q]
                }
            }
            nonlinear(stage, into: nonlinearTerm)
            for q in 0 ..< 2 * m { w[q] = acc[q] + dt / 6 * nl[q] }
        case .rk2:
            // midpoint: a = E(ω + dt/2 k1); ω ← E²ω + dt E k2
            for e in 0 ..< m {
                let E = h[e]
                for q in 2 * e ... 2 * e + 1 { st[q] = E * (w[q] + 0.5 * dt * nl[q]) }
            }
            nonlinear(stage, into: nonlinearTerm)
            for e in 0 ..< m {
                let E = h[e], E2 = E * E
                for q in 2 * e ... 2 * e + 1 { w[q] = E2 * w[q] + dt * E * nl[q] }
            }
        }
        time += dt
        stepCount += 1
    }

    private func updateFactors(_ dt: Double) {
        guard dt != factorStep else { return }
        for e in 0 ..< grid.modeCount { halfFactor[e] = exp(-0.5 * dt * rate[e]) }
        factorStep = dt
    }

    /// The state is about to be changed from outside (forcing kick, restart): forget the
    /// prepared first stage.
    public func stateChanged() { prepared = false }
}
