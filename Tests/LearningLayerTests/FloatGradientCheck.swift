import XCTest
@testable import Learning
import LearningTestSupport

/// Central finite differences of a float32 model itself, for layers that have no float64
/// reference in `RefLayer` (the U-Net blocks). The loss L = Σ r·y is accumulated in double; with
/// a step h = 1e-2 on values of order 1 the truncation error is ~h²/6·|L'''| ≈ 2e-5 and the
/// float32 rounding of L ~1e-7·|L|/h ≈ 1e-5·|L|, so the analytic gradients must agree to
/// `tolerance` (5e-3 of the largest finite difference; the cases print their errors, measured
/// 1e-4 … 1e-3). Parameters are checked on up to `perTensor` evenly spaced elements of EVERY
/// tensor, so each tensor's gradient is exercised; inputs on every element.
struct FloatGradientCheck {
    static let step: Float = 1e-2
    static let tolerance = 5e-3

    let model: Sequential
    let rows: Int
    var x: [Float]

    /// A model of `layers` with every parameter replaced by values in [−scale, scale] (GroupNorm's
    /// γ = 1, β = 0 and zero biases would hide errors in their use).
    init(_ layers: [any Layer], input: TensorShape, rows: Int, parameterScale: Double = 0.5, x: [Float]? = nil) throws {
        model = try Sequential(input: input, batch: rows, seed: 5, inputGradient: true, layers)
        let p = testValues(model.store.count, seed: 9, scale: parameterScale)
        model.store.values = p
        self.rows = rows
        self.x = x ?? testValues(rows * input.elements, seed: 3)
    }

    private func loss(_ r: [Float]) -> Double {
        let y = model.forward(x, rows: rows)
        var s = 0.0
        for i in 0 ..< y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }

    /// Backward against central differences for the input and the parameters; returns both errors.
    @discardableResult
    mutating func check(_ what: String, perTensor: Int = 12, file: StaticString = #filePath, line: UInt = #line)
        -> (input: Double, parameters: Double) {
        let r = testValues(rows * model.outputFeatures, seed: 4)
        model.store.zeroGradients()
        model.forward(x, rows: rows)
        let dx = r.withUnsafeBufferPointer { Array(model.backward($0, rows: rows)) }
        let grads = model.store.gradients
        let h = Self.step
        var fdInput: [Double] = []
        for i in x.indices {
            let v = x[i]
            x[i] = v + h; let up = loss(r)
            x[i] = v - h; let down = loss(r)
            x[i] = v
            fdInput.append((up - down) / Double(2 * h))
        }
        var indices: [Int] = [], fdParameters: [Double] = []
        for view in model.store.views {
            let n = min(perTensor, view.count)
            for k in 0 ..< n { indices.append(view.offset + k * view.count / n) }
        }
        for i in indices {
            let v = model.store.values[i]
            model.store.values[i] = v + h; let up = loss(r)
            model.store.values[i] = v - h; let down = loss(r)
            model.store.values[i] = v
            fdParameters.append((up - down) / Double(2 * h))
        }
        let ex = assertClose(dx, fdInput, tolerance: Self.tolerance, "\(what): input gradient", file: file, line: line)
        let ep = assertClose(indices.map { grads[$0] }, fdParameters, tolerance: Self.tolerance,
                             "\(what): parameter gradients", file: file, line: line)
        // Per tensor as well: a small tensor (a bias) must not hide behind a large one.
        for view in model.store.views {
            let sel = indices.enumerated().filter { view.range.contains($0.element) }
            let fd = sel.map { fdParameters[$0.offset] }
            guard (fd.map(abs).max() ?? 0) > 1e-4 else { continue }
            assertClose(sel.map { grads[$0.element] }, fd, tolerance: 2 * Self.tolerance,
                        "\(what): gradient of \(view.name)", file: file, line: line)
        }
        print("\(what): gradient errors: input \(ex), parameters \(ep) (\(indices.count) of \(model.store.count) checked)")
        return (ex, ep)
    }
}

/// x rolled by (a, b) on the torus: out[i][j] = x[(i − a) mod H][(j − b) mod W], per sample and
/// channel; `stride` floats per sample of which the first H·W·C are the field (the rest, the
/// time, is kept).
func rollField(_ x: [Float], samples: Int, stride: Int, height h: Int, width w: Int, channels c: Int,
               by a: Int, _ b: Int) -> [Float] {
    var out = x
    for n in 0 ..< samples {
        for i in 0 ..< h {
            for j in 0 ..< w {
                let si = ((i - a) % h + h) % h, sj = ((j - b) % w + w) % w
                for k in 0 ..< c { out[n * stride + (i * w + j) * c + k] = x[n * stride + (si * w + sj) * c + k] }
            }
        }
    }
    return out
}
