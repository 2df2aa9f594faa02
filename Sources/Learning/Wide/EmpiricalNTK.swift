import COpenBLAS

/// The empirical neural tangent kernel Θ = J·Jᵀ of a model on a probe set, J the Jacobian of all
/// probes × outputs numbers with respect to all parameters.
///
/// Rows and columns are ordered (probe, output): index p·outputs + o. Each row of J is one
/// per-sample gradient, from a one-row forward and a backward with a unit output gradient. J has
/// probes × outputs × parameters floats (`jacobianBytes`); when that exceeds the memory budget J is
/// never held whole: Θ is assembled from blocks of rows, block a against blocks b ≥ a, recomputing
/// the rows of later blocks (about nb²/2 block passes for nb blocks instead of one), with two
/// blocks in memory at a time. Θ is exactly symmetric (each pair is computed once and mirrored).
public struct EmpiricalNTK: Sendable, Equatable {
    /// probes × outputs.
    public let size: Int
    /// Θ, size × size, row-major.
    public let values: [Double]

    /// Θ[i, j].
    public subscript(i: Int, j: Int) -> Double { values[i * size + j] }

    /// ‖Θ‖_F.
    public var frobeniusNorm: Double { values.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// ‖self − initial‖_F / ‖initial‖_F: the kernel's relative change since `initial`.
    public func relativeChange(from initial: EmpiricalNTK) -> Double {
        precondition(size == initial.size, "NTKs of sizes \(size) and \(initial.size) compared")
        var d = 0.0
        for i in 0 ..< values.count { d += (values[i] - initial.values[i]) * (values[i] - initial.values[i]) }
        return VectorNorms.ratio(d.squareRoot(), initial.frobeniusNorm)
    }

    /// Bytes of the whole Jacobian (probes × outputs × parameters float32s): what the kernel would
    /// hold without blocking, for a job's memory estimate.
    public static func jacobianBytes(parameters: Int, probes: Int, outputs: Int) -> Int {
        parameters * probes * outputs * MemoryLayout<Float>.size
    }

    /// Default working memory for the Jacobian blocks: 256 MiB.
    public static let defaultMemoryBudget = 256 << 20

    /// Θ of `model` at its current parameters on `probeCount` probes (rows of model.inputFeatures).
    /// At most `memoryBudget` bytes of Jacobian rows are held (two blocks; at least one row each).
    /// Uses the model's training buffers and overwrites `store.gradients` (zero on return): call it
    /// between training steps, never between a forward and its backward.
    public init(model: Sequential, probes: [Float], probeCount: Int, memoryBudget: Int = EmpiricalNTK.defaultMemoryBudget) {
        precondition(probeCount > 0 && probes.count == probeCount * model.inputFeatures,
                     "EmpiricalNTK: \(probes.count) probe values for \(probeCount) probes of \(model.inputFeatures)")
        let n = model.store.count, outputs = model.outputFeatures, total = probeCount * outputs
        let perRow = max(n, 1) * MemoryLayout<Float>.size
        let blockRows = max(1, min(total, memoryBudget / (2 * perRow)))
        let blocks = (total + blockRows - 1) / blockRows
        var theta = [Double](repeating: 0, count: total * total)
        var a = [Float](repeating: 0, count: blockRows * n)
        var b = blocks > 1 ? a : []
        var product = [Float](repeating: 0, count: blockRows * blockRows)
        let rows = JacobianRows(model: model, probes: probes)
        for ia in 0 ..< blocks {
            let ra = ia * blockRows ..< min(total, (ia + 1) * blockRows)
            rows.fill(&a, rows: ra)
            // Diagonal block: ssyrk's upper triangle, mirrored.
            a.withUnsafeBufferPointer { pa in
                product.withUnsafeMutableBufferPointer { c in
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasNoTrans, blasint(ra.count), blasint(n), 1,
                                pa.baseAddress, blasint(n), 0, c.baseAddress, blasint(ra.count))
                }
            }
            for (i, gi) in ra.enumerated() {
                for (j, gj) in ra.enumerated() where j >= i {
                    let v = Double(product[i * ra.count + j])
                    theta[gi * total + gj] = v
                    theta[gj * total + gi] = v
                }
            }
            for ib in ia + 1 ..< blocks {
                let rb = ib * blockRows ..< min(total, (ib + 1) * blockRows)
                rows.fill(&b, rows: rb)
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        product.withUnsafeMutableBufferPointer { c in
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(ra.count), blasint(rb.count),
                                        blasint(n), 1, pa.baseAddress, blasint(n), pb.baseAddress, blasint(n), 0,
                                        c.baseAddress, blasint(rb.count))
                        }
                    }
                }
                for (i, gi) in ra.enumerated() {
                    for (j, gj) in rb.enumerated() {
                        let v = Double(product[i * rb.count + j])
                        theta[gi * total + gj] = v
                        theta[gj * total + gi] = v
                    }
                }
            }
        }
        model.store.zeroGradients()
        self.init(size: total, values: theta)
    }

    /// A kernel from its values (size × size, row-major).
    public init(size: Int, values: [Double]) {
        precondition(values.count == size * size, "EmpiricalNTK: \(values.count) values for size \(size)")
        self.size = size
        self.values = values
    }
}

/// Rows of the Jacobian, one per (probe, output): the gradient of that output for that probe.
private struct JacobianRows {
    let model: Sequential
    let probes: [Float]
    let unit: FloatBuffer  // the output gradient e_o, zero but for the row's output

    init(model: Sequential, probes: [Float]) {
        self.model = model
        self.probes = probes
        unit = FloatBuffer(count: model.outputFeatures)
    }

    /// Writes rows `rows` of J into `block` (consecutive rows of store.count floats).
    func fill(_ block: inout [Float], rows: Range<Int>) {
        let n = model.store.count, features = model.inputFeatures, outputs = model.outputFeatures
        for (k, row) in rows.enumerated() {
            let (p, o) = row.quotientAndRemainder(dividingBy: outputs)
            model.store.zeroGradients()
            probes.withUnsafeBufferPointer { x in
                _ = model.forward(UnsafeBufferPointer(rebasing: x[p * features ..< (p + 1) * features]), rows: 1)
            }
            unit.pointer[o] = 1
            _ = model.backward(UnsafeBufferPointer(start: unit.pointer, count: outputs), rows: 1)
            unit.pointer[o] = 0
            model.store.withUnsafeGradients { g in
                block.withUnsafeMutableBufferPointer { b in (b.baseAddress! + k * n).update(from: g.baseAddress!, count: n) }
            }
        }
    }
}
