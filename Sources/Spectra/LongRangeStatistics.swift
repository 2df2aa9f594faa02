import Foundation

/// Long-range level correlations of unfolded levels: the number variance Σ²(L) and the
/// Dyson–Mehta spectral rigidity Δ₃(L), each averaged over a deterministic grid of windows.
///
/// Window starts: the midpoints x_k of `windows` equal cells from the first unfolded level to the last
/// level minus L (so every window lies inside the kept spectrum). No random sampling: the same
/// levels give the same numbers.
public enum LongRangeStatistics {
    /// Index of the first level ≥ x in ascending `levels`.
    static func lowerBound(_ levels: [Double], _ x: Double) -> Int {
        var lo = 0, hi = levels.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if levels[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    static func starts(_ levels: [Double], length L: Double, windows: Int) -> [Double] {
        guard let first = levels.first, let last = levels.last, last - first > L, windows >= 1 else { return [] }
        // Midpoints of `windows` equal cells of [first, last − L]: no window edge falls exactly on the first
        // or last level, where rounding (e.g. of levels computed on another rank count) could flip a count.
        let span = last - first - L
        return (0 ..< windows).map { first + span * (Double($0) + 0.5) / Double(windows) }
    }

    /// Σ²(L) = ⟨n²⟩ − ⟨n⟩², n the number of levels in [x, x + L), over the window grid; NaN if L does not fit.
    public static func numberVariance(_ levels: [Double], length L: Double, windows: Int) -> Double {
        let xs = starts(levels, length: L, windows: windows)
        guard !xs.isEmpty else { return .nan }
        var s1 = 0.0, s2 = 0.0
        // Window starts increase, so both ends are found by pointers moving forward (O(N + windows)).
        var lo = 0, hi = 0
        levels.withUnsafeBufferPointer { e in
            for x in xs {
                while lo < e.count && e[lo] < x { lo += 1 }
                while hi < e.count && e[hi] < x + L { hi += 1 }
                let n = Double(hi - lo)
                s1 += n
                s2 += n * n
            }
        }
        let m = Double(xs.count)
        return max(s2 / m - (s1 / m) * (s1 / m), 0)
    }

    /// Δ₃(L) = ⟨min_{A,B} (1/L) ∫ₓ^{x+L} (N(e) − A e − B)² de⟩ over the window grid, each minimum in
    /// closed form: with y = e − x and the staircase counted from the window start,
    /// I₀ = ∫N, I₁ = ∫yN, I₂ = ∫N² (sums over the steps), the minimum is
    /// I₂ − 4I₀²/L + 12I₀I₁/L² − 12I₁²/L³ (Bohigas & Giannoni 1975). NaN if L does not fit.
    public static func rigidity(_ levels: [Double], length L: Double, windows: Int) -> Double {
        rigidity(levels, lengths: [L], windows: windows)[0]
    }

    /// Δ₃ for several L at once, O(1) per window after O(N) prefix sums.
    ///
    /// For the m levels y₁ < … < y_m of a window (y = e − x), summation by parts gives
    /// I₀ = mL − Σy, I₁ = (mL² − Σy²)/2, I₂ = m²L − Σ(2k − 1)y_k. The sums come from prefix sums of
    /// dⱼ = eⱼ − j − e₀, which are O(1) for unfolded levels (unit mean spacing), so no large numbers
    /// cancel: the result agrees with direct summation over the steps to about 1e-9 relative.
    public static func rigidity(_ levels: [Double], lengths: [Double], windows: Int) -> [Double] {
        let n = levels.count
        guard n > 0 else { return lengths.map { _ in .nan } }
        let e0 = levels[0]
        var p1 = [Double](repeating: 0, count: n + 1), p2 = p1, pj = p1
        for j in 0 ..< n {
            let d = levels[j] - Double(j) - e0
            p1[j + 1] = p1[j] + d
            p2[j + 1] = p2[j] + d * d
            pj[j + 1] = pj[j] + Double(j) * d
        }
        return lengths.map { L in
            let xs = starts(levels, length: L, windows: windows)
            guard !xs.isEmpty else { return .nan }
            var total = 0.0
            var i0 = 0, i1 = 0
            for x in xs {
                while i0 < n && levels[i0] < x { i0 += 1 }
                while i1 < n && levels[i1] < x + L { i1 += 1 }
                let m = Double(i1 - i0)
                var value = 0.0
                if i1 > i0 {
                    // y_j = d_j + t + β with t = j − i0 and β = i0 + e₀ − x.
                    let beta = Double(i0) + e0 - x
                    let d1 = p1[i1] - p1[i0], d2 = p2[i1] - p2[i0]
                    let dt = (pj[i1] - pj[i0]) - Double(i0) * d1
                    let st = m * (m - 1) / 2, stt = (m - 1) * m * (2 * m - 1) / 6
                    let sy = d1 + st + m * beta
                    let syy = d2 + stt + m * beta * beta + 2 * dt + 2 * beta * d1 + 2 * beta * st
                    let sty = dt + stt + beta * st
                    let i0v = m * L - sy
                    let i1v = (m * L * L - syy) / 2
                    let i2v = m * m * L - (2 * sty + sy)
                    value = i2v - 4 * i0v * i0v / L + 12 * i0v * i1v / (L * L) - 12 * i1v * i1v / (L * L * L)
                }
                total += max(value, 0) / L
            }
            return total / Double(xs.count)
        }
    }

    /// Δ₃(L) by direct summation over the steps of every window (the definition; used to check the fast path).
    public static func rigidityBySteps(_ levels: [Double], length L: Double, windows: Int) -> Double {
        let xs = starts(levels, length: L, windows: windows)
        guard !xs.isEmpty else { return .nan }
        var total = 0.0
        for x in xs {
            var i = lowerBound(levels, x)
            var k = 0.0, previous = 0.0
            var i0 = 0.0, i1 = 0.0, i2 = 0.0
            while true {
                let y = i < levels.count ? min(levels[i] - x, L) : L
                // N = k on [previous, y).
                let w = y - previous
                i0 += k * w
                i1 += k * w * (y + previous) / 2
                i2 += k * k * w
                if y >= L { break }
                previous = y
                k += 1
                i += 1
            }
            let value = i2 - 4 * i0 * i0 / L + 12 * i0 * i1 / (L * L) - 12 * i1 * i1 / (L * L * L)
            total += max(value, 0) / L
        }
        return total / Double(xs.count)
    }
}

/// The spectral form factor K(τ) = |Σⱼ e^{2πiτeⱼ}|² / N of unfolded levels eⱼ (τ in units of the
/// Heisenberg time, 1 = one over the mean spacing), averaged over `smoothing` equally spaced τ
/// inside each output bin (a deterministic running average replacing the ensemble average).
public enum FormFactor {
    /// K at the bin centres τ_k = (k + 1/2)·τ_max/points, k = 0…points−1.
    public static func compute(_ unfolded: [Double], tauMax: Double, points: Int, smoothing: Int) -> (tau: [Double], k: [Double]) {
        let n = Double(unfolded.count)
        guard n > 0, points > 0 else { return ([], []) }
        let width = tauMax / Double(points)
        let centre = (unfolded.first! + unfolded.last!) / 2
        var taus: [Double] = [], ks: [Double] = []
        for p in 0 ..< points {
            var acc = 0.0
            for s in 0 ..< smoothing {
                let tau = width * (Double(p) + (Double(s) + 0.5) / Double(smoothing))
                var re = 0.0, im = 0.0
                let w = 2 * Double.pi * tau
                for e in unfolded {
                    let phase = w * (e - centre)
                    re += cos(phase)
                    im += sin(phase)
                }
                acc += (re * re + im * im) / n
            }
            taus.append(width * (Double(p) + 0.5))
            ks.append(acc / Double(smoothing))
        }
        return (taus, ks)
    }
}

/// Spectral (Shannon) entropy of the normalised eigenvalue distribution pᵢ = λᵢ / Σλ (λ > 0 only).
public enum SpectralEntropy {
    /// H = −Σ pᵢ ln pᵢ (nats), the effective rank e^H (Roy & Vetterli 2007) and the participation
    /// ratio (Σλ)² / Σλ². All three are NaN without a positive eigenvalue (p is undefined).
    public static func compute(_ eigenvalues: [Double]) -> (entropy: Double, effectiveRank: Double, participationRatio: Double) {
        let positive = eigenvalues.filter { $0 > 0 }
        let total = positive.reduce(0, +)
        guard total > 0 else { return (.nan, .nan, .nan) }
        var h = 0.0, sq = 0.0
        for l in positive {
            let p = l / total
            h -= p * log(p)
            sq += l * l
        }
        return (h, exp(h), total * total / sq)
    }
}
