import DistributedFFT
import Foundation

/// Histograms of field values in units of the field's rms σ (bins fixed in x/σ, so they can
/// be averaged over time), normalised as probability densities of x/σ.
public struct StandardisedHistogram: Sendable {
    /// Number of bins.
    public let bins: Int
    /// The bins cover −range…+range (in σ).
    public let range: Double

    public init(bins: Int, range: Double) {
        self.bins = bins
        self.range = range
    }

    /// Bin centres in units of σ.
    public var centres: [Double] {
        let w = 2 * range / Double(bins)
        return (0 ..< bins).map { -range + (Double($0) + 0.5) * w }
    }

    /// Densities (bins values; Σ density·width = fraction inside the range) and σ of the field
    /// stored in `real` (local rows of `grid`). Collective.
    public func density(of real: FFTArray, grid: SpectralGrid2D) throws -> (density: [Double], sigma: Double) {
        let n = grid.n, stride = grid.rowStride
        var sq = 0.0
        for r in 0 ..< grid.localRows { for c in 0 ..< n { let x = real.pointer[r * stride + c]; sq += x * x } }
        let sigma = (try grid.communicator.allreduce(sq, .sum) / Double(grid.pointCount)).squareRoot()
        var counts = [Double](repeating: 0, count: bins)
        let w = 2 * range / Double(bins)
        if sigma > 0 {
            for r in 0 ..< grid.localRows {
                for c in 0 ..< n {
                    let b = Int(((real.pointer[r * stride + c] / sigma + range) / w).rounded(.down))
                    if b >= 0 && b < bins { counts[b] += 1 }
                }
            }
        }
        let total = try grid.communicator.allreduce(counts, .sum)
        return (total.map { $0 / (Double(grid.pointCount) * w) }, sigma)
    }
}

/// Moments of the local energy dissipation rate coarse-grained over r×r boxes:
/// M_q(r) = ⟨ε_r^q⟩ / ⟨ε⟩^q for q = 1…4, with ε(x) the local dissipation of
/// ``NavierStokes2D/localDissipation(into:scratch:_:spectral:_:_:)`` (for Newtonian viscosity
/// 2ν S_ij S_ij = ν(4(∂x u)² + (∂y u + ∂x v)²)) and ε_r the box mean. Box sizes are the powers of two that divide N,
/// up to N/2. Boxes that straddle ranks are completed by exchanging partial box sums.
public final class DissipationMoments2D {
    /// Box sizes in grid points.
    public let boxSizes: [Int]
    /// Orders q = 1…4.
    public static let orders = 4
    private let grid: SpectralGrid2D

    public init(grid: SpectralGrid2D) {
        self.grid = grid
        var sizes: [Int] = []
        var r = 1
        while r <= grid.n / 2 && grid.n % r == 0 { sizes.append(r); r *= 2 }
        boxSizes = sizes
    }

    /// Values per output: box sizes × 4, box size slowest.
    public var valueCount: Int { boxSizes.count * DissipationMoments2D.orders }

    /// Moments and the mean ⟨ε⟩ for the local dissipation field `eps` (real array of the grid).
    /// Collective.
    public func compute(_ eps: FFTArray) throws -> (moments: [Double], mean: Double) {
        let n = grid.n, stride = grid.rowStride, lo = grid.rows.lowerBound, hi = grid.rows.upperBound
        let comm = grid.communicator
        var localSum = 0.0
        for r in 0 ..< grid.localRows { for c in 0 ..< n { localSum += eps.pointer[r * stride + c] } }
        let mean = try comm.allreduce(localSum, .sum) / Double(grid.pointCount)
        var moments = [Double](repeating: 0, count: valueCount)
        for (b, size) in boxSizes.enumerated() {
            let perSide = n / size
            guard grid.localRows > 0 else { _ = try comm.allgather([Double]()); continue }
            let first = lo / size, last = (hi - 1) / size
            var sums = [Double](repeating: 0, count: (last - first + 1) * perSide)
            for row in lo ..< hi {
                let br = row / size - first
                let p = eps.pointer + (row - lo) * stride
                for c in 0 ..< n { sums[br * perSide + c / size] += p[c] }
            }
            var partial: [Double] = []
            let area = Double(size * size)
            for br in first ... last {
                let complete = br * size >= lo && (br + 1) * size <= hi
                let slice = sums[(br - first) * perSide ..< (br - first + 1) * perSide]
                if complete {
                    addMoments(slice, area: area, mean: mean, into: &moments, at: b)
                } else {
                    partial.append(Double(br))
                    partial.append(contentsOf: slice)
                }
            }
            // Partial box rows: everyone gathers them, rank 0 completes and counts them.
            let gathered = try comm.allgather(partial)
            if comm.isRoot {
                var merged: [Int: [Double]] = [:]
                var q = 0
                while q < gathered.count {
                    let br = Int(gathered[q])
                    var row = merged[br] ?? [Double](repeating: 0, count: perSide)
                    for c in 0 ..< perSide { row[c] += gathered[q + 1 + c] }
                    merged[br] = row
                    q += 1 + perSide
                }
                for br in merged.keys.sorted() { addMoments(merged[br]![...], area: area, mean: mean, into: &moments, at: b) }
            }
        }
        let total = try comm.allreduce(moments, .sum)
        let result = total.enumerated().map { index, value -> Double in
            let boxes = Double((n / boxSizes[index / DissipationMoments2D.orders]) * (n / boxSizes[index / DissipationMoments2D.orders]))
            return value / boxes
        }
        return (result, mean)
    }

    private func addMoments(_ sums: ArraySlice<Double>, area: Double, mean: Double, into moments: inout [Double], at b: Int) {
        guard mean > 0 else { return }
        for s in sums {
            let x = s / area / mean
            var p = x
            for q in 0 ..< DissipationMoments2D.orders {
                moments[b * DissipationMoments2D.orders + q] += p
                p *= x
            }
        }
    }
}

extension NavierStokes2D {
    /// The local energy dissipation rate ε(x) of the viscous term in use into `out`, with `a`,
    /// `b` real scratch and `sa`, `sb`, `sc` spectral scratch. Collective.
    ///
    /// Defined for any viscosity order n so that ⟨ε⟩ equals the spectral viscous energy
    /// dissipation Σ ν k^{2n}|ω̂|²/k² (``FlowScalars/energyDissipationViscous``), see
    /// ``Dissipation/localDissipationDefinition``: for odd n = 2m + 1, ε = 2νS_ij[w]S_ij[w] =
    /// ν(4(∂x w_x)² + (∂y w_x + ∂x w_y)²) with w = (−∇²)^m u (n = 1: the Newtonian 2νS:S); for
    /// even n = 2m, ε = ν|w|².
    public func localDissipation(into out: FFTArray, scratch a: FFTArray, _ b: FFTArray,
                                 spectral sa: FFTArray, _ sb: FFTArray, _ sc: FFTArray) {
        let g = grid, w = omega.pointer
        let pa = sa.pointer, pb = sb.pointer, pc = sc.pointer
        let order = dissipation.viscosityOrder, m = order / 2, odd = order % 2 == 1
        for e in 0 ..< g.modeCount {
            // ŵ = k^{2m} û: ψ̂_w = k^{2m} ω̂/k² (u = ∂yψ, v = −∂xψ).
            var lift = g.inverseK2[e]
            for _ in 0 ..< m { lift *= g.k2[e] }
            let pr = w[2 * e] * lift, pi = w[2 * e + 1] * lift
            let kx = g.kx[e], ky = g.ky[e]
            if odd {
                // ∂x w_x = −kx ky ψ̂; ∂y w_x = −ky² ψ̂; ∂x w_y = kx² ψ̂
                pa[2 * e] = -kx * ky * pr; pa[2 * e + 1] = -kx * ky * pi
                pb[2 * e] = -ky * ky * pr; pb[2 * e + 1] = -ky * ky * pi
                pc[2 * e] = kx * kx * pr; pc[2 * e + 1] = kx * kx * pi
            } else {
                // w_x = i ky ψ̂; w_y = −i kx ψ̂   (i(a+ib) = −b + ia)
                pa[2 * e] = -ky * pi; pa[2 * e + 1] = ky * pr
                pb[2 * e] = kx * pi; pb[2 * e + 1] = -kx * pr
            }
        }
        g.toPhysical(sa, a)
        g.toPhysical(sb, b)
        let nu = dissipation.viscosity
        if odd {
            g.toPhysical(sc, out)
            for r in 0 ..< g.localRows {
                let o = r * g.rowStride
                for c in o ..< o + g.n {
                    let shear = b.pointer[c] + out.pointer[c]
                    out.pointer[c] = nu * (4 * a.pointer[c] * a.pointer[c] + shear * shear)
                }
            }
        } else {
            for r in 0 ..< g.localRows {
                let o = r * g.rowStride
                for c in o ..< o + g.n {
                    out.pointer[c] = nu * (a.pointer[c] * a.pointer[c] + b.pointer[c] * b.pointer[c])
                }
            }
        }
    }

    /// The physical vorticity of the current state into `out` (`scratch`: a spectral array).
    public func physicalVorticity(into out: FFTArray, scratch: FFTArray) {
        scratch.copy(from: omega)
        grid.toPhysical(scratch, out)
    }
}
