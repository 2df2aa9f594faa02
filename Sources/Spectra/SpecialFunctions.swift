import Foundation

/// Special functions needed by the random-matrix reference formulas.
public enum SpecialFunctions {
    /// The Euler–Mascheroni constant γ.
    public static let eulerGamma = 0.577_215_664_901_532_860_6

    /// The sine and cosine integrals Si(x) = ∫₀ˣ sin t/t dt and Ci(x) = γ + ln x + ∫₀ˣ (cos t − 1)/t dt, x > 0.
    ///
    /// Power series for x ≤ 2; for x > 2 the continued fraction of E₁(ix) (modified Lentz),
    /// with Ci = −Re E₁(ix), Si = π/2 + Im E₁(ix). Accurate to about 1e-15.
    public static func sineCosineIntegrals(_ x: Double) -> (si: Double, ci: Double) {
        precondition(x > 0, "Si/Ci need x > 0")
        if x <= 2 {
            var si = 0.0, ci = 0.0
            var term = x           // x^(2k+1)/(2k+1)!
            var k = 0
            while true {
                let s = term / Double(2 * k + 1)
                si += (k % 2 == 0 ? s : -s)
                // (2k+2)-th power term for Ci: x^(2k+2)/(2k+2)!
                let evenTerm = term * x / Double(2 * k + 2)
                let c = evenTerm / Double(2 * k + 2)
                ci += (k % 2 == 0 ? -c : c)
                term = evenTerm * x / Double(2 * k + 3)
                k += 1
                if abs(s) < 1e-18 && abs(c) < 1e-18 { break }
            }
            return (si, eulerGamma + log(x) + ci)
        }
        // E1(z) = e^{-z} / (z + 1 - 1/(z + 3 - 4/(z + 5 - ...))), z = i x.
        let tiny = 1e-300
        var (bRe, bIm) = (1.0, x)
        var (cRe, cIm) = (1.0 / tiny, 0.0)
        var (dRe, dIm) = complexInverse(bRe, bIm)
        var (hRe, hIm) = (dRe, dIm)
        for i in 2 ... 200 {
            let a = -Double((i - 1) * (i - 1))
            bRe += 2
            // d = 1 / (a d + b)
            (dRe, dIm) = complexInverse(a * dRe + bRe, a * dIm + bIm)
            // c = b + a / c
            let (icRe, icIm) = complexInverse(cRe, cIm)
            (cRe, cIm) = (bRe + a * icRe, bIm + a * icIm)
            let delRe = cRe * dRe - cIm * dIm, delIm = cRe * dIm + cIm * dRe
            (hRe, hIm) = (hRe * delRe - hIm * delIm, hRe * delIm + hIm * delRe)
            if abs(delRe - 1) + abs(delIm) < 1e-16 { break }
        }
        // Multiply by e^{-ix} = cos x − i sin x.
        let (cs, sn) = (cos(x), sin(x))
        let eRe = cs * hRe + sn * hIm, eIm = cs * hIm - sn * hRe
        return (Double.pi / 2 + eIm, -eRe)
    }

    private static func complexInverse(_ re: Double, _ im: Double) -> (Double, Double) {
        let d = re * re + im * im
        return (re / d, -im / d)
    }

    /// The digamma function ψ(x) = Γ'(x)/Γ(x) for x > 0: recurrence up to x ≥ 12, then the asymptotic series (about 1e-14).
    public static func digamma(_ x: Double) -> Double {
        precondition(x > 0, "digamma needs x > 0")
        var x = x, shift = 0.0
        while x < 12 { shift -= 1 / x; x += 1 }
        let inv2 = 1 / (x * x)
        return shift + log(x) - 0.5 / x - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132))))
    }

    /// The Riemann zeta function ζ(s) for real s > 0, s ≠ 1 (Euler–Maclaurin summation; about 1e-13).
    public static func zeta(_ s: Double) -> Double {
        precondition(s > 0 && s != 1, "zeta needs s > 0, s ≠ 1")
        let n = 64
        var sum = 0.0
        for k in 1 ..< n { sum += pow(Double(k), -s) }
        let N = Double(n)
        sum += pow(N, 1 - s) / (s - 1) + 0.5 * pow(N, -s)
        // Bernoulli corrections B2/2!, B4/4!, B6/6! times the rising factorials of s.
        sum += s / 12 * pow(N, -s - 1)
        sum -= s * (s + 1) * (s + 2) / 720 * pow(N, -s - 3)
        sum += s * (s + 1) * (s + 2) * (s + 3) * (s + 4) / 30240 * pow(N, -s - 5)
        return sum
    }
}
