/// Small dense least-squares problems (a few columns, many rows) by Householder QR.
enum LeastSquares {
    /// The x minimising ‖A x − b‖₂ for the m × k matrix A given column by column.
    /// Householder QR: stable for the ill-conditioned polynomial bases used in unfolding.
    static func solve(columns: [[Double]], _ b: [Double]) -> [Double] {
        let k = columns.count
        guard k > 0 else { return [] }
        let m = b.count
        var flat = columns.flatMap { $0 }     // column j at j·m
        var rhs = b
        var diag = [Double](repeating: 0, count: k)
        flat.withUnsafeMutableBufferPointer { a in
            rhs.withUnsafeMutableBufferPointer { r in
                for j in 0 ..< k {
                    let cj = j * m
                    var norm = 0.0
                    for i in j ..< m { norm += a[cj + i] * a[cj + i] }
                    norm = norm.squareRoot()
                    guard norm > 0 else { continue }
                    let alpha = a[cj + j] > 0 ? -norm : norm
                    // v = a_j[j...] − alpha e_j, stored in place; reflect the later columns and b.
                    a[cj + j] -= alpha
                    var vnorm2 = 0.0
                    for i in j ..< m { vnorm2 += a[cj + i] * a[cj + i] }
                    diag[j] = alpha
                    guard vnorm2 > 0 else { continue }
                    for c in j + 1 ..< k {
                        let cc = c * m
                        var dot = 0.0
                        for i in j ..< m { dot += a[cj + i] * a[cc + i] }
                        let f = 2 * dot / vnorm2
                        for i in j ..< m { a[cc + i] -= f * a[cj + i] }
                    }
                    var dot = 0.0
                    for i in j ..< m { dot += a[cj + i] * r[i] }
                    let f = 2 * dot / vnorm2
                    for i in j ..< m { r[i] -= f * a[cj + i] }
                }
            }
        }
        var x = [Double](repeating: 0, count: k)
        for j in stride(from: k - 1, through: 0, by: -1) {
            var s = rhs[j]
            for c in j + 1 ..< k { s -= flat[c * m + j] * x[c] }
            x[j] = diag[j] != 0 ? s / diag[j] : 0
        }
        return x
    }

    /// Straight-line fit y ≈ intercept + slope·x with the coefficient of determination R² and the rms residual.
    static func line(_ x: ArraySlice<Double>, _ y: ArraySlice<Double>) -> (slope: Double, intercept: Double, r2: Double, rms: Double) {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxx += (a - mx) * (a - mx)
            sxy += (a - mx) * (b - my)
            syy += (b - my) * (b - my)
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        let intercept = my - slope * mx
        let ssr = max(syy - slope * sxy, 0)
        // R² = 1 − SSR/SST is 0/0 when y is constant: undefined, not a perfect fit.
        let r2 = syy > 0 ? 1 - ssr / syy : .nan
        return (slope, intercept, r2, (ssr / n).squareRoot())
    }
}
