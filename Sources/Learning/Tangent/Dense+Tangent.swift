import COpenBLAS

extension Dense: TangentLayer {
    /// Along parameter direction (V, v_b) and input path x + εẋ + ½ε²ẍ:
    /// y = s_w·x·Wᵀ + s_b·b, ẏ = s_w·(ẋ·Wᵀ + x·Vᵀ) + s_b·v_b, ÿ = s_w·(ẍ·Wᵀ + 2·ẋ·Vᵀ)
    /// (the layer is bilinear in input and weight, so V·V and the bias bring no second-order term).
    /// Five SGEMMs at most; the training buffers are not touched.
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        guard let store else { preconditionFailure("Dense.tangentForward before build") }
        precondition(rows <= batch, "Dense.tangentForward: \(rows) rows, built for \(batch)")
        let out = tangent.prepare(count: batch * outputs, secondOrder: ddx != nil)
        let (m, n, k) = (blasint(rows), blasint(outputs), blasint(inputs))
        let sw = weightScale, sb = biasScale
        let vw = direction + weight.offset, vb = direction + bias.offset
        store.withUnsafeValues { values in
            let w = values.baseAddress! + weight.offset, b = values.baseAddress! + bias.offset
            // C (rows × outputs) = alpha·A·Bᵀ + beta·C with A rows × inputs, B outputs × inputs.
            func gemm(_ alpha: Float, _ a: UnsafePointer<Float>, _ bt: UnsafePointer<Float>, _ beta: Float,
                      _ c: UnsafeMutablePointer<Float>) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, alpha, a, k, bt, k, beta, c, n)
            }
            gemm(sw, x, w, 0, out.y)
            gemm(sw, dx, w, 0, out.dy)
            gemm(sw, x, vw, 1, out.dy)
            for r in 0 ..< rows {
                let y = out.y + r * outputs, dy = out.dy + r * outputs
                for j in 0 ..< outputs {
                    y[j] += sb * b[j]
                    dy[j] += sb * vb[j]
                }
            }
            if let ddx, let ddy = out.ddy {
                gemm(sw, ddx, w, 0, ddy)
                gemm(2 * sw, dx, vw, 1, ddy)
            }
        }
        return (UnsafePointer(out.y), UnsafePointer(out.dy), out.ddy.map { UnsafePointer($0) })
    }
}
