import DistributedFFT
import Foundation

/// Bins shared by the histograms of several sets of fields: `count` bins of equal width over
/// `lower…upper`; values outside fall into the first or last bin, so every histogram is a whole
/// probability distribution (which the Jensen–Shannon and KS distances need).
public struct HistogramBins: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let count: Int

    public init(lower: Double, upper: Double, count: Int) {
        precondition(count >= 1 && upper > lower, "HistogramBins needs count ≥ 1 and upper > lower")
        self.lower = lower
        self.upper = upper
        self.count = count
    }

    public var width: Double { (upper - lower) / Double(count) }

    /// Bin centres.
    public var centres: [Double] { (0 ..< count).map { lower + (Double($0) + 0.5) * width } }

    /// The bin of `x`, clamped to the first and last bin.
    @inlinable public func index(of x: Double) -> Int {
        let b = Int(((x - lower) / width).rounded(.down))
        return min(max(b, 0), count - 1)
    }
}

/// What ``VorticityFieldStatistics`` computes besides the field itself.
public struct FieldStatisticsOptions: Sendable, Equatable {
    /// Separations r of the structure functions, in grid points (1…N/2).
    public var separations: [Int]
    /// Bins of the velocity PDF (u and v pooled, physical units).
    public var velocityBins: HistogramBins
    /// Bins of the vorticity PDF (physical units).
    public var vorticityBins: HistogramBins
    /// The viscous term whose local dissipation is measured (``Dissipation/localDissipationDefinition``).
    public var dissipation: Dissipation
    /// Side L of the periodic box.
    public var boxLength: Double

    public init(separations: [Int], velocityBins: HistogramBins, vorticityBins: HistogramBins,
                dissipation: Dissipation, boxLength: Double = 2 * .pi) {
        self.separations = separations
        self.velocityBins = velocityBins
        self.vorticityBins = vorticityBins
        self.dissipation = dissipation
        self.boxLength = boxLength
    }
}

/// The statistics of one field, all as means over the box.
public struct FieldStatistics: Sendable {
    /// Structure-function orders p = 2…6.
    public static let orders = Array(2 ... 6)

    /// E(k_s) per shell s = 0…N/2 (shell s: s − ½ ≤ |k|/Δk < s + ½, as ns2d's spectra; Σ_s E·Δk is E
    /// less the corner modes beyond shell N/2).
    public var energySpectrum: [Double]
    /// Longitudinal ⟨|δu_L|^p⟩(r), mean of the x and y directions: [order p = 2…6][separation].
    public var structureAbsolute: [[Double]]
    /// Longitudinal ⟨δu_L^p⟩(r) (signed), the same layout.
    public var structureSigned: [[Double]]
    /// Counts of u and v values per velocity bin (2N² in all).
    public var velocityCounts: [Double]
    /// Counts of ω values per vorticity bin (N² in all).
    public var vorticityCounts: [Double]
    /// ⟨ε_r^q⟩/⟨ε⟩^q, q = 1…4, for the box sizes of ``VorticityFieldStatistics/boxSizes``: [box][q − 1].
    public var dissipationMoments: [[Double]]
    /// ⟨ε⟩.
    public var meanDissipation: Double
    /// E = ½⟨|u|²⟩.
    public var energy: Double
    /// Z = ½⟨ω²⟩.
    public var enstrophy: Double

    public init(energySpectrum: [Double], structureAbsolute: [[Double]], structureSigned: [[Double]],
                velocityCounts: [Double], vorticityCounts: [Double], dissipationMoments: [[Double]],
                meanDissipation: Double, energy: Double, enstrophy: Double) {
        self.energySpectrum = energySpectrum
        self.structureAbsolute = structureAbsolute
        self.structureSigned = structureSigned
        self.velocityCounts = velocityCounts
        self.vorticityCounts = vorticityCounts
        self.dissipationMoments = dissipationMoments
        self.meanDissipation = meanDissipation
        self.energy = energy
        self.enstrophy = enstrophy
    }
}

/// Turbulence statistics of single N×N periodic vorticity fields (rows = y, columns = x, point
/// (i, j) at (x, y) = (j, i)·L/N, as in ns2d's `snapshots.h5`), on one process without MPI:
/// a job spreads whole fields over its ranks.
///
/// The velocity is u = ∂yψ, v = −∂xψ with ∇²ψ = −ω (as the ns2d solver). The Nyquist modes
/// (|m| = N/2 on either axis), whose derivatives are not real, are left out of the velocity and
/// its gradients (ns2d's dealiased fields have none). Not thread-safe (it owns FFT buffers).
public final class VorticityFieldStatistics {
    public let n: Int
    public let options: FieldStatisticsOptions
    /// Box sizes of the dissipation moments: the powers of two that divide N, up to N/2.
    public let boxSizes: [Int]
    /// Normalised Fourier coefficients of the last field (ω̂ = FFT/N²).
    private let omegaFFT: SerialComplexFFT
    /// u + iv, then the gradients packed the same way.
    private let packedFFT: SerialComplexFFT

    public init(n: Int, options: FieldStatisticsOptions) throws {
        precondition(n >= 4, "VorticityFieldStatistics needs N ≥ 4")
        precondition(options.separations.allSatisfy { $0 >= 1 && $0 <= n / 2 }, "separations must be in 1…N/2")
        self.n = n
        self.options = options
        var sizes: [Int] = []
        var r = 1
        while r <= n / 2 && n % r == 0 { sizes.append(r); r *= 2 }
        boxSizes = sizes
        omegaFFT = try SerialComplexFFT(shape: [n, n])
        packedFFT = try SerialComplexFFT(shape: [n, n])
    }

    /// Shells of the energy spectrum: N/2 + 1.
    public var shellCount: Int { n / 2 + 1 }

    /// Signed integer wavenumber of FFT index `i`.
    @inlinable func signed(_ i: Int) -> Int { i <= n / 2 ? i : i - n }

    /// Transforms `field` (N² values, row-major) into ω̂.
    private func transform(_ field: UnsafeBufferPointer<Double>) {
        precondition(field.count == n * n, "a field has N² = \(n * n) values, got \(field.count)")
        let b = omegaFFT.buffer
        for p in 0 ..< n * n { b[2 * p] = field[p]; b[2 * p + 1] = 0 }
        omegaFFT.forward()
        let scale = 1 / Double(n * n)
        for q in 0 ..< 2 * n * n { b[q] *= scale }
    }

    /// Fills `packedFFT` with `f(kx, ky) · ψ̂` (ψ̂ = ω̂/k², Nyquist modes zero) and transforms it back.
    private func packed(_ f: (_ kx: Double, _ ky: Double, _ k2: Double) -> (re: Double, im: Double)) {
        let dk = 2 * Double.pi / options.boxLength
        let w = omegaFFT.buffer, z = packedFFT.buffer
        for i in 0 ..< n {
            let my = signed(i)
            for j in 0 ..< n {
                let mx = signed(j), p = i * n + j
                guard abs(mx) < n / 2, abs(my) < n / 2, mx != 0 || my != 0 else { z[2 * p] = 0; z[2 * p + 1] = 0; continue }
                let kx = dk * Double(mx), ky = dk * Double(my), k2 = kx * kx + ky * ky
                let (fr, fi) = f(kx, ky, k2)
                let pr = w[2 * p] / k2, pi = w[2 * p + 1] / k2
                z[2 * p] = fr * pr - fi * pi
                z[2 * p + 1] = fr * pi + fi * pr
            }
        }
        packedFFT.backward()
    }

    /// ⟨|u|²⟩ of `field` (one forward FFT): for choosing common PDF bins before the full statistics.
    public func velocityMeanSquare(of field: [Double]) -> Double {
        field.withUnsafeBufferPointer { transform($0) }
        let dk = 2 * Double.pi / options.boxLength, w = omegaFFT.buffer
        var s = 0.0
        for i in 0 ..< n {
            for j in 0 ..< n {
                let mx = signed(j), my = signed(i), p = i * n + j
                guard abs(mx) < n / 2, abs(my) < n / 2, mx != 0 || my != 0 else { continue }
                let k2 = dk * dk * Double(mx * mx + my * my)
                s += (w[2 * p] * w[2 * p] + w[2 * p + 1] * w[2 * p + 1]) / k2
            }
        }
        return s
    }

    /// The velocity (u, v) of `field`, each N² values row-major.
    public func velocity(of field: [Double]) -> (u: [Double], v: [Double]) {
        field.withUnsafeBufferPointer { transform($0) }
        // û + iv̂ = (i ky − i·i kx) ψ̂ = (kx + i ky) ψ̂.
        packed { kx, ky, _ in (kx, ky) }
        let z = packedFFT.buffer
        return ((0 ..< n * n).map { z[2 * $0] }, (0 ..< n * n).map { z[2 * $0 + 1] })
    }

    /// Every statistic of one field.
    public func statistics(of field: [Double]) -> FieldStatistics {
        let (u, v) = velocity(of: field)   // leaves ω̂ in omegaFFT
        let spectrum = energySpectrum()
        let epsilon = localDissipation()
        var energy = 0.0, enstrophy = 0.0
        var velocityCounts = [Double](repeating: 0, count: options.velocityBins.count)
        var vorticityCounts = [Double](repeating: 0, count: options.vorticityBins.count)
        for p in 0 ..< n * n {
            energy += u[p] * u[p] + v[p] * v[p]
            enstrophy += field[p] * field[p]
            velocityCounts[options.velocityBins.index(of: u[p])] += 1
            velocityCounts[options.velocityBins.index(of: v[p])] += 1
            vorticityCounts[options.vorticityBins.index(of: field[p])] += 1
        }
        let points = Double(n * n)
        let (absolute, signedSF) = structureFunctions(u: u, v: v)
        let mean = epsilon.reduce(0, +) / points
        return FieldStatistics(energySpectrum: spectrum, structureAbsolute: absolute, structureSigned: signedSF,
                               velocityCounts: velocityCounts, vorticityCounts: vorticityCounts,
                               dissipationMoments: dissipationMoments(epsilon, mean: mean), meanDissipation: mean,
                               energy: 0.5 * energy / points, enstrophy: 0.5 * enstrophy / points)
    }

    /// E(k_s) of the ω̂ in `omegaFFT` (every mode, Nyquist included).
    private func energySpectrum() -> [Double] {
        let dk = 2 * Double.pi / options.boxLength, w = omegaFFT.buffer
        var e = [Double](repeating: 0, count: shellCount)
        for i in 0 ..< n {
            for j in 0 ..< n {
                let mx = signed(j), my = signed(i), p = i * n + j
                guard mx != 0 || my != 0 else { continue }
                let m2 = Double(mx * mx + my * my)
                let s = Int(m2.squareRoot().rounded())
                guard s < shellCount else { continue }
                e[s] += 0.5 * (w[2 * p] * w[2 * p] + w[2 * p + 1] * w[2 * p + 1]) / (dk * dk * m2)
            }
        }
        return e.map { $0 / dk }
    }

    /// The local dissipation ε(x) of ``FieldStatisticsOptions/dissipation`` (the definition of
    /// ``Dissipation/localDissipationDefinition``, so that ⟨ε⟩ = Σ ν k^{2n}|û|²).
    private func localDissipation() -> [Double] {
        let d = options.dissipation, m = d.viscosityOrder / 2, odd = d.viscosityOrder % 2 == 1
        func lift(_ k2: Double) -> Double { var l = 1.0; for _ in 0 ..< m { l *= k2 }; return l }
        if odd {
            // ∂x w_x = −kx ky ψ̂_w, ∂y w_x + ∂x w_y = (kx² − ky²) ψ̂_w, packed as re + i·im.
            packed { kx, ky, k2 in let l = lift(k2); return (-kx * ky * l, (kx * kx - ky * ky) * l) }
        } else {
            packed { kx, ky, k2 in let l = lift(k2); return (kx * l, ky * l) }
        }
        let z = packedFFT.buffer, nu = d.viscosity
        return (0 ..< n * n).map { p in
            let a = z[2 * p], b = z[2 * p + 1]
            return odd ? nu * (4 * a * a + b * b) : nu * (a * a + b * b)
        }
    }

    /// Longitudinal increments δu along x and δv along y, orders 2…6, both directions averaged.
    private func structureFunctions(u: [Double], v: [Double]) -> (absolute: [[Double]], signed: [[Double]]) {
        let orders = FieldStatistics.orders, ns = options.separations.count
        var absolute = [[Double]](repeating: [Double](repeating: 0, count: ns), count: orders.count)
        var signedSF = absolute
        for (s, r) in options.separations.enumerated() {
            var sumAbs = [Double](repeating: 0, count: orders.count), sumSigned = sumAbs
            for i in 0 ..< n {
                let shiftedRow = ((i + r) % n) * n, row = i * n
                for j in 0 ..< n {
                    let dx = u[row + (j + r) % n] - u[row + j]
                    let dy = v[shiftedRow + j] - v[row + j]
                    var px = dx * dx, py = dy * dy
                    for q in 0 ..< orders.count {
                        sumSigned[q] += px + py
                        sumAbs[q] += abs(px) + abs(py)
                        px *= dx
                        py *= dy
                    }
                }
            }
            for q in 0 ..< orders.count {
                absolute[q][s] = sumAbs[q] / Double(2 * n * n)
                signedSF[q][s] = sumSigned[q] / Double(2 * n * n)
            }
        }
        return (absolute, signedSF)
    }

    /// ⟨ε_r^q⟩/⟨ε⟩^q over the r×r boxes (as ``DissipationMoments2D``).
    private func dissipationMoments(_ eps: [Double], mean: Double) -> [[Double]] {
        boxSizes.map { size in
            let perSide = n / size
            var sums = [Double](repeating: 0, count: perSide * perSide)
            for i in 0 ..< n { for j in 0 ..< n { sums[(i / size) * perSide + j / size] += eps[i * n + j] } }
            var moments = [Double](repeating: 0, count: 4)
            guard mean > 0 else { return moments }
            for s in sums {
                let x = s / Double(size * size) / mean
                var p = x
                for q in 0 ..< 4 { moments[q] += p; p *= x }
            }
            return moments.map { $0 / Double(sums.count) }
        }
    }
}
