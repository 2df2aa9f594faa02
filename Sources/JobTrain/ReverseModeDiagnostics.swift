import Learning

/// PLACEHOLDER for the JVP diagnostics module (forward-mode Jacobian–vector products through
/// every layer, `TangentLayer`): the lazy-training quantities of a one-output network from exact
/// per-probe gradients ∇θ f(x_i) by reverse mode (one backward pass of one row each), so that
/// `wide-sweep` measures them now. The second-order term needs a JVP of the JVP and is left NaN
/// here. Replace the calls in ``WideSweepJob`` by the diagnostics module's.
enum ReverseModeDiagnostics {
    /// Floats of per-probe gradients held at once for the NTK (256 MB); more probes are done in
    /// blocks, recomputing the other rows.
    static let gradientBudget = 1 << 26

    /// f(x_i) for every probe (one output per probe), in chunks of the model's batch.
    static func outputs(_ model: Sequential, probes: [Float], count: Int) -> [Double] {
        let d = model.inputFeatures
        var out = [Double](repeating: 0, count: count)
        var start = 0
        probes.withUnsafeBufferPointer { x in
            while start < count {
                let rows = min(model.batch, count - start)
                let y = model.forward(UnsafeBufferPointer(rebasing: x[start * d ..< (start + rows) * d]), rows: rows)
                for r in 0 ..< rows { out[start + r] = Double(y[r]) }
                start += rows
            }
        }
        return out
    }

    /// ∇θ f(x_i) into `row` (store layout).
    static func gradient(_ model: Sequential, probes: [Float], index i: Int, into row: UnsafeMutableBufferPointer<Float>) {
        let d = model.inputFeatures
        model.store.zeroGradients()
        probes.withUnsafeBufferPointer { x in _ = model.forward(UnsafeBufferPointer(rebasing: x[i * d ..< (i + 1) * d]), rows: 1) }
        var one: Float = 1
        withUnsafePointer(to: &one) { _ = model.backward(UnsafeBufferPointer(start: $0, count: 1), rows: 1) }
        model.store.gradients.withUnsafeBufferPointer { g in _ = row.update(fromContentsOf: g) }
    }

    /// Σ_k a_k b_k in double.
    static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Double {
        var s = 0.0
        for k in 0 ..< a.count { s += Double(a[k]) * Double(b[k]) }
        return s
    }

    /// ‖f(θ_T) − f(θ_0) − J(θ_0)Δθ‖ / ‖f(θ_T) − f(θ_0)‖ with the model's parameters at θ_0 on
    /// entry; `outputsT` are f(θ_T) on the probes.
    static func linearizationGap(_ model: Sequential, probes: [Float], count: Int, delta: [Float], outputsT: [Double]) -> Double {
        let f0 = outputs(model, probes: probes, count: count)
        var row = [Float](repeating: 0, count: model.store.count)
        var num = 0.0, den = 0.0
        row.withUnsafeMutableBufferPointer { r in
            delta.withUnsafeBufferPointer { dt in
                for i in 0 ..< count {
                    gradient(model, probes: probes, index: i, into: r)
                    let linear = dot(UnsafeBufferPointer(r), dt)
                    let change = outputsT[i] - f0[i]
                    num += (change - linear) * (change - linear)
                    den += change * change
                }
            }
        }
        return den > 0 ? (num / den).squareRoot() : .nan
    }

    /// The empirical NTK Θ_ij = ∇f(x_i)·∇f(x_j) on the probes (count × count, row-major) at the
    /// model's current parameters.
    static func ntk(_ model: Sequential, probes: [Float], count n: Int) -> [Double] {
        let p = model.store.count
        let block = max(1, min(n, gradientBudget / max(p, 1)))
        var theta = [Double](repeating: 0, count: n * n)
        var stored = [Float](repeating: 0, count: block * p)
        var row = [Float](repeating: 0, count: p)
        var first = 0
        while first < n {
            let rows = min(block, n - first)
            stored.withUnsafeMutableBufferPointer { s in
                for b in 0 ..< rows {
                    gradient(model, probes: probes, index: first + b, into: UnsafeMutableBufferPointer(rebasing: s[b * p ..< (b + 1) * p]))
                }
                row.withUnsafeMutableBufferPointer { r in
                    for j in first ..< n {
                        let other: UnsafeBufferPointer<Float>
                        if j < first + rows {
                            other = UnsafeBufferPointer(rebasing: s[(j - first) * p ..< (j - first + 1) * p])
                        } else {
                            gradient(model, probes: probes, index: j, into: r)
                            other = UnsafeBufferPointer(r)
                        }
                        for b in 0 ..< rows where first + b <= j {
                            let v = dot(UnsafeBufferPointer(rebasing: s[b * p ..< (b + 1) * p]), other)
                            theta[(first + b) * n + j] = v
                            theta[j * n + first + b] = v
                        }
                    }
                }
            }
            first += rows
        }
        return theta
    }

    /// ‖A − B‖_F / ‖B‖_F.
    static func relativeChange(_ a: [Double], from b: [Double]) -> Double {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) { num += (x - y) * (x - y); den += y * y }
        return den > 0 ? (num / den).squareRoot() : .nan
    }
}
