import COpenBLAS

/// The reference convolution: im2col then one SGEMM per sample, periodic padding by wrapping the
/// indices (no halo), so it shares no code path with the oneDNN engine it checks.
///
/// For one sample the columns matrix holds, for each output pixel (row), the kernel's window in
/// (kh, kw, c) order (patch = k·k·C columns), the same order as a row of the OHWI weight; then
/// y = s_w · cols · Wᵀ, dW += s_w · dyᵀ · cols, and dx = col2im(s_w · dy · W).
final class Im2colConvolution: ConvolutionEngine {
    let g: ConvolutionGeometry
    let weightScale: Float, biasScale: Float
    // One sample's columns (outHeight · outWidth × patch); backward-data reuses it for d(cols).
    private let columns: FloatBuffer

    init(geometry: ConvolutionGeometry, weightScale: Float, biasScale: Float) {
        g = geometry
        self.weightScale = weightScale
        self.biasScale = biasScale
        columns = FloatBuffer(count: geometry.outHeight * geometry.outWidth * geometry.patch)
    }

    /// Input row and column read by output (oh, ow) at kernel offset (kh, kw), or nil for a zero pad.
    @inline(__always)
    private func source(_ o: Int, _ k: Int, extent: Int) -> Int? {
        let i = o * g.stride - g.pad + k
        if i >= 0 && i < extent { return i }
        guard g.periodic else { return nil }
        return (i % extent + extent) % extent
    }

    private func im2col(_ x: UnsafePointer<Float>) {
        let c = g.inputs, cols = columns.pointer
        var p = cols
        for oh in 0 ..< g.outHeight {
            for ow in 0 ..< g.outWidth {
                for kh in 0 ..< g.kernel {
                    let ih = source(oh, kh, extent: g.height)
                    for kw in 0 ..< g.kernel {
                        if let ih, let iw = source(ow, kw, extent: g.width) {
                            p.update(from: x + (ih * g.width + iw) * c, count: c)
                        } else {
                            p.update(repeating: 0, count: c)
                        }
                        p += c
                    }
                }
            }
        }
    }

    private func col2imAdding(into dx: UnsafeMutablePointer<Float>) {
        let c = g.inputs
        var p = UnsafePointer(columns.pointer)
        for oh in 0 ..< g.outHeight {
            for ow in 0 ..< g.outWidth {
                for kh in 0 ..< g.kernel {
                    let ih = source(oh, kh, extent: g.height)
                    for kw in 0 ..< g.kernel {
                        if let ih, let iw = source(ow, kw, extent: g.width) {
                            let d = dx + (ih * g.width + iw) * c
                            for j in 0 ..< c { d[j] += p[j] }
                        }
                        p += c
                    }
                }
            }
        }
    }

    func forward(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 into y: UnsafeMutablePointer<Float>, rows: Int) {
        let m = g.outHeight * g.outWidth, n = g.outputs, k = g.patch
        for s in 0 ..< rows {
            im2col(x + s * g.inputElements)
            let ys = y + s * g.outputElements
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k),
                        weightScale, columns.pointer, blasint(k), weights, blasint(k), 0, ys, blasint(n))
            if let bias {
                let sb = biasScale
                for r in 0 ..< m {
                    let row = ys + r * n
                    for j in 0 ..< n { row[j] += sb * bias[j] }
                }
            }
        }
    }

    func backwardData(_ dy: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                      into dx: UnsafeMutablePointer<Float>, rows: Int) {
        let m = g.outHeight * g.outWidth, n = g.outputs, k = g.patch
        dx.update(repeating: 0, count: rows * g.inputElements)
        for s in 0 ..< rows {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(k), blasint(n),
                        weightScale, dy + s * g.outputElements, blasint(n), weights, blasint(k),
                        0, columns.pointer, blasint(k))
            col2imAdding(into: dx + s * g.inputElements)
        }
    }

    func backwardWeights(_ dy: UnsafePointer<Float>, input x: UnsafePointer<Float>,
                         weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>?,
                         rows: Int) {
        let m = g.outHeight * g.outWidth, n = g.outputs, k = g.patch, sb = biasScale
        for s in 0 ..< rows {
            im2col(x + s * g.inputElements)
            let dys = dy + s * g.outputElements
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(n), blasint(k), blasint(m),
                        weightScale, dys, blasint(n), columns.pointer, blasint(k), 1, weightGradient, blasint(k))
            guard let biasGradient else { continue }
            for r in 0 ..< m {
                let row = dys + r * n
                for j in 0 ..< n { biasGradient[j] += sb * row[j] }
            }
        }
    }
}
