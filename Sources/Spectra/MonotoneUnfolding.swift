/// Unfoldings that increase by construction, for spectra whose staircase is far from a polynomial
/// (power laws, spectra spanning decades): a monotone spline of the block-averaged staircase, and
/// local (moving-window) unfolding.
public enum MonotoneUnfolding {
    /// The staircase N(x) of ascending `x` (all levels, x = λ or ln λ) smoothed by a monotone spline and
    /// evaluated at `x[kept]`.
    ///
    /// Knots: the levels in consecutive blocks of `knotLevels` (the last block merged into the one before
    /// when shorter than half a block), each block's knot at (mean x, mean of N(xᵢ) = i + ½); knots whose x
    /// does not exceed the previous knot's (equal levels) are dropped. Between knots the Fritsch–Butland
    /// monotone cubic Hermite interpolant (interior slopes the weighted harmonic mean of the neighbouring
    /// secants, end slopes the end secants), beyond the end knots the end secant's line: every secant is
    /// positive, so the curve increases. Fewer than 2 knots: the straight line through the first and last level.
    public static func spline(_ x: [Double], kept range: Range<Int>, knotLevels: Int) -> [Double] {
        let n = x.count
        let k = max(knotLevels, 1)
        var bounds: [Int] = Array(stride(from: 0, to: n, by: k)) + [n]
        if bounds.count > 2, bounds[bounds.count - 1] - bounds[bounds.count - 2] < (k + 1) / 2 { bounds.remove(at: bounds.count - 2) }
        var kx: [Double] = [], ky: [Double] = []
        for b in 0 ..< bounds.count - 1 {
            let lo = bounds[b], hi = bounds[b + 1]
            guard hi > lo else { continue }
            var sx = 0.0
            for i in lo ..< hi { sx += x[i] }
            let mx = sx / Double(hi - lo)
            let my = Double(lo + hi) / 2        // mean of i + ½ over lo..<hi
            if let last = kx.last, !(mx > last) { continue }
            kx.append(mx); ky.append(my)
        }
        guard kx.count >= 2 else {
            let span: Double = x[n - 1] - x[0], origin: Double = x[0], count = Double(n)
            return range.map { (i: Int) -> Double in span > 0 ? count * (x[i] - origin) / span + 0.5 : Double(i) + 0.5 }
        }
        let m = kx.count
        var secant = [Double](repeating: 0, count: m - 1)
        for j in 0 ..< m - 1 { secant[j] = (ky[j + 1] - ky[j]) / (kx[j + 1] - kx[j]) }
        var slope = [Double](repeating: 0, count: m)
        slope[0] = secant[0]
        slope[m - 1] = secant[m - 2]
        if m > 2 {
            for j in 1 ..< m - 1 {
                let h0 = kx[j] - kx[j - 1], h1 = kx[j + 1] - kx[j]
                let w1 = 2 * h1 + h0, w2 = h1 + 2 * h0
                slope[j] = (w1 + w2) / (w1 / secant[j - 1] + w2 / secant[j])
            }
        }
        var interval = 0
        return range.map { i in
            let v = x[i]
            if v <= kx[0] { return ky[0] + secant[0] * (v - kx[0]) }
            if v >= kx[m - 1] { return ky[m - 1] + secant[m - 2] * (v - kx[m - 1]) }
            while interval < m - 2 && v > kx[interval + 1] { interval += 1 }   // kept levels ascend: a forward scan
            let h = kx[interval + 1] - kx[interval]
            let t = (v - kx[interval]) / h
            let t2 = t * t, t3 = t2 * t
            return (2 * t3 - 3 * t2 + 1) * ky[interval] + (t3 - 2 * t2 + t) * h * slope[interval]
                + (-2 * t3 + 3 * t2) * ky[interval + 1] + (t3 - t2) * h * slope[interval + 1]
        }
    }

    /// Local unfolding of ascending `levels`: spacing i (levels i, i + 1) divided by the mean of the `window`
    /// spacings centred on it, (E_{j+w} − E_j)/w with j = i − ⌊w/2⌋ moved inside [0, n − 1 − w]
    /// (w = min(window, n − 1)); the kept levels unfolded as the running sum of these spacings from
    /// e = first kept index + ½. A spacing in a window of equal levels is 0.
    public static func local(_ levels: [Double], kept range: Range<Int>, window: Int) -> [Double] {
        let n = levels.count
        guard n >= 2, !range.isEmpty else { return range.map { Double($0) + 0.5 } }
        let w = max(1, min(window, n - 1))
        var out = [Double(range.lowerBound) + 0.5]
        out.reserveCapacity(range.count)
        for i in range.dropLast() {
            let j = min(max(i - w / 2, 0), n - 1 - w)
            let mean = (levels[j + w] - levels[j]) / Double(w)
            let s = mean > 0 ? (levels[i + 1] - levels[i]) / mean : 0
            out.append(out[out.count - 1] + s)
        }
        return out
    }
}
