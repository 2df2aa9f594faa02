import COpenBLAS

/// Rows of a Dense layer's input x and output gradient dy for a whole batch that several ranks
/// computed, each its own rows (a node's ranks, in shared memory), so that each element of dW and db
/// can be computed ONCE over the whole batch by the rank that owns it, instead of every rank adding
/// a partial sum over its own rows and the ranks summing those (`Dense.weightGradient`).
///
/// The two buffers hold `capacity` rows of `inputs` and of `outputs` floats; a rank writes rows
/// `rowOffset ..< rowOffset + rows` of both during its backward.
public struct WeightGradientStaging {
    /// x of the whole batch, row-major (capacity × inputs).
    public let inputs: UnsafeMutablePointer<Float>
    /// dL/dy of the whole batch, row-major (capacity × outputs).
    public let outputGradients: UnsafeMutablePointer<Float>
    /// The first row this rank writes.
    public var rowOffset: Int

    /// Staging into `inputs` and `outputGradients` from row `rowOffset` on.
    public init(inputs: UnsafeMutablePointer<Float>, outputGradients: UnsafeMutablePointer<Float>, rowOffset: Int) {
        self.inputs = inputs
        self.outputGradients = outputGradients
        self.rowOffset = rowOffset
    }

    func stage(inputs x: UnsafePointer<Float>, outputGradients dy: UnsafePointer<Float>, rows: Int, inputWidth k: Int, outputWidth n: Int) {
        (inputs + rowOffset * k).update(from: x, count: rows * k)
        (outputGradients + rowOffset * n).update(from: dy, count: rows * n)
    }
}

extension Dense {
    /// Writes (does not add) the elements `elements` of this layer's gradient (store indices; the
    /// part outside `weight.range` ∪ `bias.range` is ignored) into `gradients` at the same indices,
    /// computed over the first `rows` rows staged in `staging`: dW[o, i] = s_w · Σ_r dy[r, o] x[r, i]
    /// and db[o] = s_b · Σ_r dy[r, o], the rows summed in order. Whole rows of dW are one SGEMM with
    /// K = `rows` (the whole batch: more efficient than each rank's K = its share); the partial rows
    /// at the ends of `elements` one small SGEMM each.
    public func weightGradient(elements: Range<Int>, rows: Int, staging: WeightGradientStaging,
                               into gradients: UnsafeMutablePointer<Float>) {
        let (n, k) = (outputs, inputs), x = staging.inputs, dy = staging.outputGradients, sw = weightScale
        let w = weight.range.clamped(to: elements)
        var e = w.lowerBound - weight.offset
        let end = w.upperBound - weight.offset
        while e < end {
            let row = e / k, column = e % k
            if column == 0 && end - e >= k {
                let count = (end - e) / k
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(count), blasint(k), blasint(rows),
                            sw, dy + row, blasint(n), x, blasint(k), 0, gradients + weight.offset + e, blasint(k))
                e += count * k
            } else {
                let last = min(k, column + end - e)
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 1, blasint(last - column), blasint(rows),
                            sw, dy + row, blasint(n), x + column, blasint(k), 0, gradients + weight.offset + e, blasint(k))
                e += last - column
            }
        }
        let b = bias.range.clamped(to: elements)
        guard !b.isEmpty else { return }
        let lo = b.lowerBound - bias.offset, hi = b.upperBound - bias.offset, sb = biasScale
        let db = gradients + bias.offset
        for j in lo ..< hi { db[j] = 0 }
        for r in 0 ..< rows {
            let row = dy + r * n
            for j in lo ..< hi { db[j] += sb * row[j] }
        }
    }
}
