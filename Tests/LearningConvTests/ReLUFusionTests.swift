import XCTest
@testable import Learning

/// A `Conv2d` followed by a `ReLU` is fused when the model is built (`planReLUFusion`): the
/// convolution clamps in its forward (a oneDNN post-op; a clamp after the product for im2col) and
/// masks dy by its output in its backward (in place when dy is the next convolution's buffer),
/// summing db in that pass; the ReLU passes both through.
///
/// Against the same model with every ReLU a pass of its own (`fusingReLUs: false`): forward, dx
/// and every parameter gradient agree to 1e-6 of the largest component (forward and dx come from
/// the same kernels: difference measured 0; the gradients differ only by db, summed in double in the
/// masking pass instead of by oneDNN or SGEMM in float: measured ≤ 1.4e-7). Against float64
/// central differences of the definition (ConvReference with max(0, ·) between the layers): 1e-5
/// of the largest component, as
/// ConvGradientTests (float32 rounding of sums of at most 9·C terms; measured ≤ 1.7e-7).
final class ReLUFusionTests: XCTestCase {
    static let agreement = 1e-6
    static let gradientTolerance = 1e-5

    /// conv (C_in → C) + ReLU, conv (C → C) + ReLU, conv (C → C_out) + ReLU: the first two ReLUs
    /// mask in place (a Conv2d follows), the last one writes its own buffer (dy is the caller's).
    func stack(_ padding: Conv2d.Padding, _ backend: Conv2d.Backend, channels: Int, outputs: Int) -> [any Layer] {
        [Conv2d(outputs: channels, kernel: 3, padding: padding, backend: backend), ReLU(),
         Conv2d(outputs: channels, kernel: 3, padding: padding, backend: backend), ReLU(),
         Conv2d(outputs: outputs, kernel: 3, padding: padding, backend: backend), ReLU()]
    }

    /// y, dx and the gradients of one zeroGradients + forward + backward(r) step.
    func step(_ model: Sequential, x: [Float], r: [Float], rows: Int) -> (y: [Float], dx: [Float], gradients: [Float]) {
        model.store.zeroGradients()
        let y = Array(model.forward(x, rows: rows))
        let dx = r.withUnsafeBufferPointer { Array(model.backward($0, rows: rows)) }
        return (y, dx, model.store.gradients)
    }

    func testPlanFusesEveryConvolutionFollowedByReLU() throws {
        for backend in [Conv2d.Backend.oneDNN, .im2col] {
            let layers: [any Layer] = stack(.periodic, backend, channels: 16, outputs: 8)
                + [Conv2d(outputs: 4, kernel: 1, backend: backend), Tanh(), Conv2d(outputs: 4, kernel: 3, backend: backend)]
            _ = try Sequential(input: .image(height: 6, width: 6, channels: 3), batch: 2, seed: 1, layers)
            let convs = layers.compactMap { $0 as? Conv2d }, relus = layers.compactMap { $0 as? ReLU }
            XCTAssertEqual(convs.map(\.fusesReLU), [true, true, true, false, false], "\(backend)")
            XCTAssertEqual(relus.map(\.isFused), [true, true, true], "\(backend)")
            // The third convolution's dy is the 1 × 1 convolution's dL/dx buffer.
            XCTAssertEqual(convs.map(\.masksGradientInPlace), [true, true, true, false, false], "\(backend)")
            // oneDNN applies the ReLU inside the convolution primitive (not a clamp afterwards).
            XCTAssertEqual(convs.map(\.fusesReLUInPrimitive), [backend == .oneDNN, backend == .oneDNN, backend == .oneDNN, false, false])
        }
        // A ReLU last: its convolution gets the caller's dy and writes a buffer of its own.
        let last = stack(.zero, .oneDNN, channels: 4, outputs: 4)
        _ = try Sequential(input: .image(height: 5, width: 5, channels: 2), batch: 1, seed: 1, last)
        XCTAssertEqual(last.compactMap { ($0 as? Conv2d)?.masksGradientInPlace }, [true, true, false])
        // Dense + ReLU and a ReLU first are left alone; so is a model built with fusion off.
        let dense: [any Layer] = [ReLU(), Dense(outputs: 3), ReLU()]
        _ = try Sequential(inputFeatures: 4, batch: 2, seed: 1, dense)
        XCTAssertEqual(dense.compactMap { ($0 as? ReLU)?.isFused }, [false, false])
        let off = stack(.zero, .oneDNN, channels: 4, outputs: 4)
        _ = try Sequential(input: .image(height: 5, width: 5, channels: 2), batch: 1, seed: 1, inputGradient: false,
                           fusingReLUs: false, off)
        XCTAssertEqual(off.compactMap { ($0 as? Conv2d)?.fusesReLU }, [false, false, false])
    }

    /// 16 channels (oneDNN's blocked layouts), both paddings and backends, the full batch and a
    /// smaller last one (its own primitives, fused too).
    func testFusedStackEqualsUnfusedStack() throws {
        let shape = TensorShape.image(height: 7, width: 6, channels: 5), batch = 3
        for padding in [Conv2d.Padding.zero, .periodic] {
            for backend in [Conv2d.Backend.oneDNN, .im2col] {
                let fused = try Sequential(input: shape, batch: batch, seed: 7, inputGradient: true,
                                           stack(padding, backend, channels: 16, outputs: 8))
                let plain = try Sequential(input: shape, batch: batch, seed: 7, inputGradient: true, fusingReLUs: false,
                                           stack(padding, backend, channels: 16, outputs: 8))
                XCTAssertEqual(fused.store.values, plain.store.values, "same initialisation")
                let x = normals(batch * shape.elements, seed: 31), r = normals(batch * fused.outputFeatures, seed: 32)
                for rows in [batch, 2, batch] {
                    let a = step(fused, x: x, r: r, rows: rows), b = step(plain, x: x, r: r, rows: rows)
                    let what = "\(padding) \(backend) rows \(rows)"
                    XCTAssertGreaterThan(b.y.filter { $0 == 0 }.count, b.y.count / 5, "\(what): the ReLUs clip")
                    XCTAssertLessThanOrEqual(relativeError(a.y, b.y), Self.agreement, "\(what): forward")
                    XCTAssertLessThanOrEqual(relativeError(a.dx, b.dx), Self.agreement, "\(what): dx")
                    XCTAssertLessThanOrEqual(relativeError(a.gradients, b.gradients), Self.agreement, "\(what): gradients")
                }
            }
        }
    }

    /// The fused model's gradients against float64 central differences of L = Σ r ⊙ y, y the
    /// definition with max(0, ·) after each layer; two layers (the first ReLU masks in place, the
    /// second does not), small sizes: one loss evaluation per coordinate and side.
    func testFusedStackMatchesCentralDifferences() throws {
        let (h, w, inputs, channels, outputs, rows) = (4, 5, 2, 3, 2, 2)
        for padding in [Conv2d.Padding.zero, .periodic] {
            for backend in [Conv2d.Backend.oneDNN, .im2col] {
                let layers: [any Layer] = [Conv2d(outputs: channels, kernel: 3, padding: padding, backend: backend), ReLU(),
                                           Conv2d(outputs: outputs, kernel: 3, padding: padding, backend: backend), ReLU()]
                let model = try Sequential(input: .image(height: h, width: w, channels: inputs), batch: rows, seed: 5,
                                           inputGradient: true, layers)
                XCTAssertTrue(model.layers.compactMap { $0 as? Conv2d }.allSatisfy(\.fusesReLU))
                let x = normals(rows * h * w * inputs, seed: 41), r = normals(rows * model.outputFeatures, seed: 42)
                let got = step(model, x: x, r: r, rows: rows)
                let references = [(inputs, channels), (channels, outputs)].map {
                    ConvReference(ConvCase(height: h, width: w, inputs: $0.0, outputs: $0.1, kernel: 3, stride: 1, padding: padding))
                }
                let ranges = model.parameterRanges.filter { !$0.isEmpty }
                let rd = r.map(Double.init)
                func output(_ x: [Double], _ p: [Double]) -> [Double] {
                    var a = x
                    for (ref, range) in zip(references, ranges) {
                        a = ref.forward(a, Array(p[range]), rows: rows).map { max(0, $0) }
                    }
                    return a
                }
                let loss = { (y: [Double]) in zip(y, rd).reduce(0) { $0 + $1.0 * $1.1 } }
                let xd = x.map(Double.init), p = model.store.values.map(Double.init)
                let what = "\(padding) \(backend)"
                XCTAssertLessThanOrEqual(relativeError(got.y, output(xd, p)), Self.gradientTolerance, "\(what): forward")
                let dp = centralDifferences(p, h: 1e-6) { loss(output(xd, $0)) }
                let dx = centralDifferences(xd, h: 1e-6) { loss(output($0, p)) }
                XCTAssertGreaterThan(dp.map(abs).max() ?? 0, 0.1, "\(what): the gradient is not trivially zero")
                XCTAssertLessThanOrEqual(relativeError(got.gradients, dp), Self.gradientTolerance, "\(what): parameters")
                XCTAssertLessThanOrEqual(relativeError(got.dx, dx), Self.gradientTolerance, "\(what): input")
            }
        }
    }

    /// The tangent pass convolves without the fused clamp (its ReLU layers take the pre-activation):
    /// the fused model's Jacobian–vector product equals the unfused one's.
    func testTangentPassIgnoresTheFusion() throws {
        let shape = TensorShape.image(height: 6, width: 5, channels: 3), rows = 2
        for padding in [Conv2d.Padding.zero, .periodic] {
            let fused = try Sequential(input: shape, batch: rows, seed: 9, stack(padding, .oneDNN, channels: 16, outputs: 4))
            let plain = try Sequential(input: shape, batch: rows, seed: 9, inputGradient: false, fusingReLUs: false,
                                       stack(padding, .oneDNN, channels: 16, outputs: 4))
            let x = normals(rows * shape.elements, seed: 51), v = normals(fused.store.count, seed: 52)
            let a = fused.jvp(x: x, direction: v, rows: rows), b = plain.jvp(x: x, direction: v, rows: rows)
            XCTAssertGreaterThan(b.map(abs).max() ?? 0, 0, "\(padding): a non-zero tangent")
            XCTAssertLessThanOrEqual(relativeError(a, b), Self.agreement, "\(padding): jvp")
        }
    }
}
