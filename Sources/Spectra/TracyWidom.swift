import Foundation

/// The Airy function Ai and its derivative, accurate to about 1e-15 absolute on the real line.
///
/// Above x = 10 the asymptotic series of Ai and Ai′ (DLMF 9.7.5–6) summed to its smallest term (relative
/// error below 1e-18 there). Below, a table on a grid of step 1/8 from 10 down to −40 built once by Taylor
/// steps of y″ = x y backwards from x = 10 — the stable direction for Ai: the growing solution Bi shrinks
/// relative to Ai as x decreases — and each value a Taylor expansion from the nearest grid point.
public enum Airy {
    static let upper = 10.0, lower = -40.0, step = 0.125

    /// Ai and Ai′ at x ≥ 8 from the asymptotic series in ζ = (2/3) x^{3/2}.
    static func asymptotic(_ x: Double) -> (value: Double, derivative: Double) {
        let zeta = 2.0 / 3.0 * pow(x, 1.5)
        var u = 1.0, sumU = 1.0, sumV = 1.0, previous = Double.infinity
        for k in 1 ..< 60 {
            let kk = Double(k)
            u *= (6 * kk - 5) * (6 * kk - 3) * (6 * kk - 1) / ((2 * kk - 1) * 216 * kk)
            let v = -(6 * kk + 1) / (6 * kk - 1) * u
            let term = u / pow(zeta, kk)
            if abs(term) >= previous { break }   // asymptotic: stop before the terms grow
            previous = abs(term)
            let sign = k % 2 == 0 ? 1.0 : -1.0
            sumU += sign * term
            sumV += sign * v / pow(zeta, kk)
        }
        let e = exp(-zeta) / (2 * Double.pi.squareRoot())
        return (e / pow(x, 0.25) * sumU, -e * pow(x, 0.25) * sumV)
    }

    /// Values (y, y′) at x0 + h from (y, y′) at x0 by the Taylor series of y″ = x y:
    /// a_{k+2} = (x0 a_k + a_{k−1}) / ((k + 2)(k + 1)).
    static func taylor(_ y: Double, _ yp: Double, at x0: Double, by h: Double) -> (Double, Double) {
        var a = [y, yp, x0 * y / 2]
        var value = a[0] + h * (a[1] + h * a[2]), slope = a[1] + 2 * h * a[2]
        var power = h   // h^{k−1}, the power in the slope term of a_k (k = 2 here)
        // A fixed number of terms: |h| ≤ 1/8 and |x0| ≤ 40 make term 32 negligible (an early stop on a small term
        // would be wrong: near x0 = 0 every third coefficient vanishes).
        for k in 3 ..< 32 {
            let next = (x0 * a[k - 2] + a[k - 3]) / Double(k * (k - 1))
            a.append(next)
            power *= h
            let dv = next * power * h, ds = Double(k) * next * power
            value += dv
            slope += ds
        }
        return (value, slope)
    }

    /// (Ai, Ai′) at upper − k·step, k = 0 … (upper − lower)/step.
    static let table: [(value: Double, derivative: Double)] = {
        var rows = [asymptotic(upper)]
        let count = Int(((upper - lower) / step).rounded())
        for k in 1 ... count {
            let (y, yp) = rows[k - 1]
            let next = taylor(y, yp, at: upper - Double(k - 1) * step, by: -step)
            rows.append((next.0, next.1))
        }
        return rows
    }()

    /// Ai(x) and Ai′(x) for x ≥ −40 (x below −40 is refused: the table ends there).
    public static func ai(_ x: Double) -> (value: Double, derivative: Double) {
        precondition(x >= lower, "Airy.ai is tabulated for x ≥ \(lower)")
        if x >= upper { return asymptotic(x) }
        let k = Int(((upper - x) / step).rounded())
        let x0 = upper - Double(k) * step
        let (y, yp) = table[k]
        let r = taylor(y, yp, at: x0, by: x - x0)
        return (r.0, r.1)
    }
}

/// The Tracy–Widom distribution F₁ (β = 1) of the largest eigenvalue of GOE and real Wishart matrices.
///
/// F₁(s) = det(I − K_s) on L²(s, ∞), K_s(x, y) = ½ Ai((x + y)/2) (Ferrari & Spohn 2005; Sasamoto 2005),
/// evaluated by Bornemann's method (Math. Comp. 79, 871, 2010): Gauss–Legendre quadrature of the kernel,
/// the half-line mapped to (−1, 1) by x = s + 10 tan(π(ξ + 1)/4), and the determinant of the m × m matrix
/// δᵢⱼ − √wᵢ K(xᵢ, xⱼ) √wⱼ by LU with partial pivoting. m = 48 nodes give about 1e-15 absolute.
public enum TracyWidom {
    /// Gauss–Legendre nodes and weights on (−1, 1), by Newton's method on P_m (Golub–Welsch is not needed at m ≈ 50).
    public static func gaussLegendre(_ m: Int) -> (nodes: [Double], weights: [Double]) {
        var nodes = [Double](repeating: 0, count: m), weights = nodes
        for i in 0 ..< (m + 1) / 2 {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(m) + 0.5))
            var dp = 0.0
            for _ in 0 ..< 100 {
                var p0 = 1.0, p1 = x
                for k in 2 ... max(m, 2) {
                    let p2 = ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)
                    p0 = p1; p1 = p2
                }
                if m == 1 { p1 = x; p0 = 1 }
                dp = Double(m) * (x * p1 - p0) / (x * x - 1)
                let dx = p1 / dp
                x -= dx
                if abs(dx) < 1e-16 { break }
            }
            nodes[i] = -x; nodes[m - 1 - i] = x
            let w = 2 / ((1 - x * x) * dp * dp)
            weights[i] = w; weights[m - 1 - i] = w
        }
        return (nodes, weights)
    }

    static let quadrature = gaussLegendre(48)

    /// F₁(s). Below s = −14 the value is under 1e-30 and 0 is returned (Ai is tabulated from −40, and the
    /// quadrature's arguments (x + y)/2 then reach below s).
    public static func cdf(_ s: Double) -> Double {
        if s < -14 { return 0 }
        if s > 40 { return 1 }
        return exp(logCDFComponents(s).reduce(0, +))
    }

    /// The p-value 1 − F₁(s) of a largest eigenvalue at TW statistic s, computed as −expm1(ln F₁) so that it
    /// keeps its absolute accuracy (≈1e-16) in the upper tail.
    public static func survival(_ s: Double) -> Double {
        if s < -14 { return 1 }
        if s > 40 { return 0 }
        return max(-expm1(logCDFComponents(s).reduce(0, +)), 0)
    }

    /// ln |uᵢᵢ| of the LU factors of I − K_s (their sum is ln F₁(s)).
    static func logCDFComponents(_ s: Double) -> [Double] {
        let (xi, w) = quadrature
        let m = xi.count
        let x = xi.map { s + 10 * tan(Double.pi * ($0 + 1) / 4) }
        let sw = (0 ..< m).map { i -> Double in
            let sec = 1 / cos(Double.pi * (xi[i] + 1) / 4)
            return (w[i] * 2.5 * Double.pi * sec * sec).squareRoot()
        }
        var a = [Double](repeating: 0, count: m * m)
        for i in 0 ..< m {
            for j in i ..< m {
                let z = (x[i] + x[j]) / 2
                let k = z >= Airy.upper * 4 ? 0 : 0.5 * Airy.ai(z).value
                let v = -sw[i] * k * sw[j]
                a[i * m + j] = v; a[j * m + i] = v
            }
            a[i * m + i] += 1
        }
        var logs: [Double] = []
        for c in 0 ..< m {
            var pivot = c
            for r in c + 1 ..< m where abs(a[r * m + c]) > abs(a[pivot * m + c]) { pivot = r }
            if pivot != c { for k in 0 ..< m { a.swapAt(c * m + k, pivot * m + k) } }
            let d = a[c * m + c]
            logs.append(log(abs(d)))
            guard d != 0 else { return [-Double.infinity] }
            for r in c + 1 ..< m {
                let f = a[r * m + c] / d
                if f == 0 { continue }
                for k in c + 1 ..< m { a[r * m + k] -= f * a[c * m + k] }
            }
        }
        return logs
    }

    /// The quantile F₁⁻¹(p), p ∈ (0, 1), by bisection on [−14, 40] to 1e-12.
    public static func quantile(_ p: Double) -> Double {
        var lo = -14.0, hi = 40.0
        while hi - lo > 1e-12 {
            let mid = (lo + hi) / 2
            if cdf(mid) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// Johnstone's (2001) centring and scaling of the largest eigenvalue l₁ of a real white Wishart matrix
    /// XᵀX, X of n independent N(0, 1) rows and p columns: μ = (√(n − 1) + √p)²,
    /// σ = (√(n − 1) + √p)(1/√(n − 1) + 1/√p)^{1/3}; (l₁ − μ)/σ → F₁ (Theorem 1.1; symmetric in n and p).
    public static func johnstone(samples n: Double, dimension p: Double) -> (mu: Double, sigma: Double) {
        let a = (n - 1).squareRoot(), b = p.squareRoot()
        return ((a + b) * (a + b), (a + b) * pow(1 / a + 1 / b, 1.0 / 3))
    }
}
