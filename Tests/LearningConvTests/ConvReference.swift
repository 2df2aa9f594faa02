@testable import Learning

/// The convolution by its definition, in float64, seven loops, no shared code with either backend:
/// y[n, i, j, o] = s_w · Σ_{a, b, c} W[o, a, b, c] · x[n, i·s − p + a, j·s − p + b, c] + s_b · b[o]
/// with p = k/2 and x read as 0 outside the image (zero padding) or at indices mod H, W (periodic).
struct ConvReference {
    let c: ConvCase
    let weightScale: Double, biasScale: Double

    init(_ c: ConvCase) {
        self.c = c
        let fanIn = Double(c.kernel * c.kernel * c.inputs)
        if case .ntk(let beta) = c.initialization {
            weightScale = 1 / fanIn.squareRoot(); biasScale = Double(beta)
        } else {
            weightScale = 1; biasScale = 1
        }
    }

    /// The input element read at (row, column) of sample n, channel ch; nil when it is a zero pad.
    func index(_ n: Int, _ row: Int, _ col: Int, _ ch: Int) -> Int? {
        var (r, q) = (row, col)
        if c.padding == .periodic {
            r = (r % c.height + c.height) % c.height
            q = (q % c.width + c.width) % c.width
        } else if r < 0 || r >= c.height || q < 0 || q >= c.width {
            return nil
        }
        return ((n * c.height + r) * c.width + q) * c.inputs + ch
    }

    /// Splits store-ordered parameters into (W, b).
    func split(_ p: [Double]) -> ([Double], [Double]) {
        let nw = c.outputs * c.kernel * c.kernel * c.inputs
        return (Array(p[0 ..< nw]), Array(p[nw...]))
    }

    func forward(_ x: [Double], _ params: [Double], rows: Int) -> [Double] {
        let (w, b) = split(params), k = c.kernel, p = k / 2
        var y = [Double](repeating: 0, count: rows * c.outputElements)
        for n in 0 ..< rows {
            for i in 0 ..< c.outHeight {
                for j in 0 ..< c.outWidth {
                    for o in 0 ..< c.outputs {
                        var s = 0.0
                        for a in 0 ..< k {
                            for bb in 0 ..< k {
                                for ch in 0 ..< c.inputs {
                                    guard let xi = index(n, i * c.stride - p + a, j * c.stride - p + bb, ch) else { continue }
                                    s += w[((o * k + a) * k + bb) * c.inputs + ch] * x[xi]
                                }
                            }
                        }
                        y[((n * c.outHeight + i) * c.outWidth + j) * c.outputs + o] = weightScale * s + biasScale * b[o]
                    }
                }
            }
        }
        return y
    }

    /// The adjoint of `forward` at dy: (dx, dW and db in store order), by the same loops.
    func backward(_ x: [Double], _ params: [Double], _ dy: [Double], rows: Int) -> (dx: [Double], dp: [Double]) {
        let (w, _) = split(params), k = c.kernel, p = k / 2
        var dx = [Double](repeating: 0, count: rows * c.inputElements)
        var dw = [Double](repeating: 0, count: w.count), db = [Double](repeating: 0, count: c.outputs)
        for n in 0 ..< rows {
            for i in 0 ..< c.outHeight {
                for j in 0 ..< c.outWidth {
                    for o in 0 ..< c.outputs {
                        let g = dy[((n * c.outHeight + i) * c.outWidth + j) * c.outputs + o]
                        db[o] += biasScale * g
                        for a in 0 ..< k {
                            for bb in 0 ..< k {
                                for ch in 0 ..< c.inputs {
                                    guard let xi = index(n, i * c.stride - p + a, j * c.stride - p + bb, ch) else { continue }
                                    let wi = ((o * k + a) * k + bb) * c.inputs + ch
                                    dx[xi] += weightScale * w[wi] * g
                                    dw[wi] += weightScale * x[xi] * g
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, dw + db)
    }
}

/// Central differences of f at p, coordinate by coordinate.
func centralDifferences(_ p: [Double], h: Double = 1e-4, _ f: ([Double]) -> Double) -> [Double] {
    var q = p
    return (0 ..< p.count).map { i in
        q[i] = p[i] + h; let fp = f(q)
        q[i] = p[i] - h; let fm = f(q)
        q[i] = p[i]
        return (fp - fm) / (2 * h)
    }
}
