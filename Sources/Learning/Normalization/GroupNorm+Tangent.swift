/// Forward-mode derivatives of GroupNorm along a parameter direction and an input path.
///
/// With u = x − μ, s = mean(u²) + eps and r = s^(−1/2) per (sample, group), differentiating
/// twice along ε (the parameter path θ + ε·v is linear, so γ̈ = β̈ = 0):
///   μ̇ = mean(ẋ), μ̈ = mean(ẍ), u̇ = ẋ − μ̇, ü = ẍ − μ̈,
///   ṡ = 2·mean(u·u̇), s̈ = 2·mean(u̇² + u·ü),
///   ṙ = −½·r³·ṡ, r̈ = ¾·r⁵·ṡ² − ½·r³·s̈,
///   x̂ = u·r, x̂˙ = u̇·r + u·ṙ, x̂¨ = ü·r + 2·u̇·ṙ + u·r̈,
///   y = γ·x̂ + β, ẏ = γ̇·x̂ + γ·x̂˙ + β̇, ÿ = 2·γ̇·x̂˙ + γ·x̂¨.
/// Group statistics are accumulated in double. Not a training hot path, so it stays in Swift.
extension GroupNorm {
    /// (y, ẏ, ÿ) for the first `rows` samples; see the extension's formulas.
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        guard let store = parameterStore else { preconditionFailure("GroupNorm.tangentForward before build") }
        precondition(rows <= builtBatch, "GroupNorm.tangentForward: \(rows) rows, built for \(builtBatch)")
        let secondOrder = ddx != nil
        let out = tangent.prepare(count: builtBatch * positions * channels, secondOrder: secondOrder)
        let (y, dy) = (out.y, out.dy)
        let perGroup = channels / groups, sample = positions * channels
        let count = Double(positions * perGroup), eps = Double(epsilon)
        store.withUnsafeValues { v in
            let gamma = v.baseAddress! + weight.offset, beta = v.baseAddress! + bias.offset
            let dGamma = direction + weight.offset, dBeta = direction + bias.offset
            for row in 0 ..< rows {
                for g in 0 ..< groups {
                    let base = row * sample, c0 = g * perGroup
                    // Visits the group's elements (index into the batch, channel) in a fixed order.
                    func forEach(_ body: (Int, Int) -> Void) {
                        for p in 0 ..< positions {
                            for c in c0 ..< c0 + perGroup { body(base + p * channels + c, c) }
                        }
                    }
                    var sx = 0.0, sdx = 0.0, sddx = 0.0
                    forEach { i, _ in
                        sx += Double(x[i]); sdx += Double(dx[i]); sddx += ddx.map { Double($0[i]) } ?? 0
                    }
                    let mu = sx / count, dmu = sdx / count, ddmu = sddx / count
                    var suu = 0.0, suu1 = 0.0, su1u1 = 0.0, suu2 = 0.0
                    forEach { i, _ in
                        let u = Double(x[i]) - mu, u1 = Double(dx[i]) - dmu
                        let u2 = (ddx.map { Double($0[i]) } ?? 0) - ddmu
                        suu += u * u; suu1 += u * u1; su1u1 += u1 * u1; suu2 += u * u2
                    }
                    let s = suu / count + eps, ds = 2 * suu1 / count, dds = 2 * (su1u1 + suu2) / count
                    let r = 1 / s.squareRoot(), r3 = r * r * r
                    let dr = -0.5 * r3 * ds, ddr = 0.75 * r3 * r * r * ds * ds - 0.5 * r3 * dds
                    forEach { i, c in
                        let u = Double(x[i]) - mu, u1 = Double(dx[i]) - dmu
                        let gc = Double(gamma[c]), dgc = Double(dGamma[c])
                        let xh = u * r, dxh = u1 * r + u * dr
                        y[i] = Float(gc * xh + Double(beta[c]))
                        dy[i] = Float(dgc * xh + gc * dxh + Double(dBeta[c]))
                        if let ddx, let ddy = out.ddy {
                            let u2 = Double(ddx[i]) - ddmu
                            let ddxh = u2 * r + 2 * u1 * dr + u * ddr
                            ddy[i] = Float(2 * dgc * dxh + gc * ddxh)
                        }
                    }
                }
            }
        }
        return (UnsafePointer(out.y), UnsafePointer(out.dy), out.ddy.map { UnsafePointer($0) })
    }
}
