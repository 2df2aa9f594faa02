import COpenBLAS

/// Grow-only float64 buffers for drawing and scoring batches of mixture samples: sized by the first
/// (largest) batches, then reused, so steady-state batches allocate nothing.
final class MixtureWorkspace {
    private(set) var capacity = 0
    /// rows × d: class-sorted scaled normals, then the gemm output.
    var packed = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    var product = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    /// rows: where each requested row sits in the class-sorted block.
    var position = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    var labels = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
    /// rows: the quadratic form of class 0 while class 1's is computed.
    var quadratic = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    /// rows × d float64 samples (for sources that hand out Float).
    var samples = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    /// rows: global sample keys, and LLRs.
    var keys = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    var llr = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var dimension = 0

    /// Makes room for `rows` samples of dimension `d`.
    func reserve(rows: Int, dimension d: Int) {
        guard rows > capacity || d != dimension else { return }
        let r = max(rows, capacity)
        release()
        packed = .allocate(capacity: max(r * d, 1))
        product = .allocate(capacity: max(r * d, 1))
        samples = .allocate(capacity: max(r * d, 1))
        position = .allocate(capacity: max(r, 1))
        labels = .allocate(capacity: max(r, 1))
        quadratic = .allocate(capacity: max(r, 1))
        keys = .allocate(capacity: max(r, 1))
        llr = .allocate(capacity: max(r, 1))
        capacity = r
        dimension = d
    }

    private func release() {
        packed.deallocate(); product.deallocate(); samples.deallocate()
        position.deallocate(); labels.deallocate(); quadratic.deallocate()
        keys.deallocate(); llr.deallocate()
    }

    deinit { release() }
}

extension GaussianMixture {
    /// Draws the samples with global keys `keys` into `x` (keys.count × d, float64, row-major) and their
    /// labels into `labels`. Rows are grouped by class so each class costs one dgemm Z·Λ^{1/2}·Uᵀ.
    func draw(keys: UnsafeBufferPointer<Int>, into x: UnsafeMutablePointer<Double>, labels: UnsafeMutablePointer<Int32>,
              workspace w: MixtureWorkspace) {
        let n = keys.count, d = dimension
        guard n > 0 else { return }
        w.reserve(rows: n, dimension: d)
        var ones = 0
        for r in 0 ..< n {
            labels[r] = label(ofSample: keys[r])
            ones += Int(labels[r])
        }
        // Class 0 rows first, then class 1, each in request order.
        var next = (0, n - ones)
        for r in 0 ..< n {
            if labels[r] == 0 { w.position[r] = next.0; next.0 += 1 } else { w.position[r] = next.1; next.1 += 1 }
            let row = w.packed + w.position[r] * d, s = scales[Int(labels[r])]
            SampleStream.input.rng(seed: seed, keys[r]).fillNormal(UnsafeMutableBufferPointer(start: row, count: d), startingAt: 0)
            for k in 0 ..< d { row[k] *= s[k] }
        }
        for (c, range) in [(0, 0 ..< n - ones), (1, n - ones ..< n)] where !range.isEmpty {
            bases[c].elements.withUnsafeBufferPointer { u in
                // product[r, i] = Σ_k packed[r, k] · U[i, k]
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(range.count), blasint(d), blasint(d),
                            1, w.packed + range.lowerBound * d, blasint(d), u.baseAddress, blasint(d),
                            0, w.product + range.lowerBound * d, blasint(d))
            }
        }
        for r in 0 ..< n {
            let m = means[Int(labels[r])], src = w.product + w.position[r] * d, dst = x + r * d
            for i in 0 ..< d { dst[i] = src[i] + m[i] }
        }
    }

    /// The samples with global keys `keys` and their labels, as arrays (tests, small studies).
    public func samples(keys: [Int]) -> (x: [Double], labels: [Int32]) {
        var x = [Double](repeating: 0, count: keys.count * dimension)
        var labels = [Int32](repeating: 0, count: keys.count)
        let w = MixtureWorkspace()
        keys.withUnsafeBufferPointer { k in
            x.withUnsafeMutableBufferPointer { xp in
                labels.withUnsafeMutableBufferPointer { draw(keys: k, into: xp.baseAddress!, labels: $0.baseAddress!, workspace: w) }
            }
        }
        return (x, labels)
    }
}
