import XCTest
@testable import Learning
import LearningTestSupport

/// GroupNorm: a direct float64 formula, PyTorch's torch.nn.GroupNorm, backward and forward-mode
/// derivatives against finite differences, parameters and shape errors.
final class GroupNormTests: XCTestCase {
    func testParametersAreNamedAndStartAtOneAndZero() throws {
        let norm = GroupNorm(groups: 2)
        let model = try Sequential(input: .image(height: 3, width: 3, channels: 4), batch: 2, seed: 1, [Dense(outputs: 36), norm])
        XCTAssertEqual(model.store.views.map(\.name), ["0.weight", "0.bias", "1.weight", "1.bias"])
        XCTAssertEqual(norm.weight.shape, [36])  // the Dense output is a vector of 36 channels
        XCTAssertEqual(Array(model.store.values[norm.weight.range]), [Float](repeating: 1, count: 36))
        XCTAssertEqual(Array(model.store.values[norm.bias.range]), [Float](repeating: 0, count: 36))
    }

    func testForwardMatchesTheDirectFloat64Formula() throws {
        // Images with 1, 2 and C groups (layer norm, group norm, instance norm) and a vector sample;
        // inputs far from zero (mean 100 and 1e4, spread 1) check that neither the variance nor
        // x − μ loses digits.
        let cases: [(TensorShape, Int, Float)] = [
            (.image(height: 3, width: 4, channels: 6), 1, 0), (.image(height: 3, width: 4, channels: 6), 2, 0),
            (.image(height: 3, width: 4, channels: 6), 6, 0), (.vector(12), 3, 0),
            (.image(height: 4, width: 4, channels: 4), 2, 100), (.image(height: 4, width: 4, channels: 4), 1, 1e4),
        ]
        for (shape, groups, offset) in cases {
            let norm = GroupNorm(groups: groups)
            let rows = 3
            let model = try Sequential(input: shape, batch: rows, seed: 1, [norm])
            let gamma = testValues(norm.channels, seed: 7), beta = testValues(norm.channels, seed: 8)
            model.store.values = gamma + beta
            let x = testValues(rows * shape.elements, seed: 2).map { $0 + offset }
            let y = Array(model.forward(x, rows: rows))
            let ref = refGroupNorm(x.map(Double.init), shape: shape.dims, rows: rows, groups: groups, epsilon: 1e-5,
                                   gamma: gamma.map(Double.init), beta: beta.map(Double.init))
            let e = assertClose(y, ref, tolerance: Tolerance.forward, "GroupNorm \(shape) groups \(groups) offset \(offset)")
            print("GroupNorm forward \(shape) / \(groups), offset \(offset): error \(e)")
        }
    }

    func testChannelMeansFarApartInOneGroup() throws {
        // One group of 2 channels with means 0 and 1000: the group variance is dominated by the
        // channels' separation, which the per-channel shifted sums must carry without cancellation.
        let shape = TensorShape.image(height: 4, width: 4, channels: 2), rows = 2
        let model = try Sequential(input: shape, batch: rows, seed: 1, [GroupNorm(groups: 1)])
        let x = testValues(rows * 32, seed: 4).enumerated().map { $0.offset % 2 == 1 ? $0.element + 1000 : $0.element }
        let y = Array(model.forward(x, rows: rows))
        let ref = refGroupNorm(x.map(Double.init), shape: shape.dims, rows: rows, groups: 1, epsilon: 1e-5,
                               gamma: [1, 1], beta: [0, 0])
        assertClose(y, ref, tolerance: Tolerance.forward, "GroupNorm with channel means 0 and 1000")
    }

    func testLargeMeanGivesTheSameBackwardAsZeroMean() throws {
        // GroupNorm ignores a common shift of its group, so x + 1e4 must give the same y, dx, dγ and
        // dβ as x, to float32 round-off. (x is first rounded to the 1e4 grid so that both inputs
        // are exact: x + 1e4 − 1e4 == x in float32.)
        let shape = TensorShape.image(height: 4, width: 4, channels: 4), rows = 2, n = rows * 64
        let shifted = testValues(n, seed: 6, scale: 2).map { $0 + 1e4 }
        let centred = shifted.map { $0 - 1e4 }
        let r = testValues(n, seed: 7), p = testValues(8, seed: 8)
        var results: [([Float], [Float], [Float])] = []
        for x in [centred, shifted] {
            let model = try Sequential(input: shape, batch: rows, seed: 1, inputGradient: true, [GroupNorm(groups: 2)])
            model.store.values = p
            model.store.zeroGradients()
            let y = Array(model.forward(x, rows: rows))
            let dx = r.withUnsafeBufferPointer { Array(model.backward($0, rows: rows)) }
            results.append((y, dx, model.store.gradients))
        }
        assertClose(results[1].0, results[0].0.map(Double.init), tolerance: Tolerance.forward, "y at mean 1e4")
        assertClose(results[1].1, results[0].1.map(Double.init), tolerance: Tolerance.gradient, "dx at mean 1e4")
        assertClose(results[1].2, results[0].2.map(Double.init), tolerance: Tolerance.gradient, "dγ, dβ at mean 1e4")
    }

    /// Values from Scripts/group_norm_torch.py (torch 2.13.0+cpu): GroupNorm(2, 4, eps=1e-5) on
    /// 2 samples of 2×3×4, γ = 0.5 + 0.25c, β = −0.125c, loss Σ r·y.
    func testMatchesPyTorch() throws {
        let y: [Float] = [-0.791336894, 0.210261047, -1.01063073, 1.25054145, -0.0664481372, -1.20327199, 0.461557776, -1.14176488, 0.65844059, -0.115938894, -1.45228732, 0.698470712, -0.283914745, 0.971394241, 0.019901216, -1.6938355, 0.440973997, -0.442138821, 1.49208975, 0.146400064, -0.501381397, 0.645194292, -0.421755344, -2.24590611, 0.189341843, -0.863433242, 1.03548753, -0.52107811, -0.795235753, 0.272617877, -0.990129232, 1.42663026, -0.0378683656, -1.20424855, 0.56803751, -1.10539067, 0.719498992, -0.0681974441, -1.45757926, 0.84231776, -0.265078574, 1.06785369, 0.100587502, -1.68970323, 0.492288798, -0.409012794, -1.92502928, 0.258005232]
        let dx: [Float] = [-0.277546227, 0.623440802, 0.320741981, 0.593768001, 0.0242827106, -0.073390007, -0.504255772, -1.33699954, 0.326111615, 0.445905507, -0.0795216709, 0.119894966, -0.0807637349, -0.557065308, -0.904519439, 0.765457273, 0.221065164, 0.268370211, 0.331546843, -0.353978068, -0.185810179, -0.734600663, 0.756280899, 0.291584253, 0.0149405748, 0.0596122593, 0.0633240342, -0.657353759, -0.307632565, 0.523303866, 0.6324507, 0.7926355, -0.0711511821, -0.102216259, -0.332718551, -1.13130462, 0.165330201, 0.361475348, 0.236408085, 0.318684548, -0.157242939, -0.765304625, -0.728761196, 1.12153625, 0.0792384297, 0.199646845, -0.159634516, -0.155266389]
        let dGamma: [Float] = [6.25057983, -1.00078189, -3.03319931, -0.917207956]
        let dBeta: [Float] = [0.25, 0.75, -0.5, 0]
        let (n, h, w, c) = (2, 2, 3, 4), count = n * h * w * c
        let x = (0 ..< count).map { Float(($0 * 37) % 23 - 11) / 8 }
        let r = (0 ..< count).map { Float(($0 * 13) % 7 - 3) / 4 }
        let norm = GroupNorm(groups: 2)
        let model = try Sequential(input: .image(height: h, width: w, channels: c), batch: n, seed: 1, inputGradient: true, [norm])
        model.store.values = (0 ..< c).map { 0.5 + 0.25 * Float($0) } + (0 ..< c).map { -0.125 * Float($0) }
        model.store.zeroGradients()
        let out = Array(model.forward(x, rows: n))
        let grad = r.withUnsafeBufferPointer { Array(model.backward($0, rows: n)) }
        assertClose(out, y.map(Double.init), tolerance: 1e-6, "y against PyTorch")
        assertClose(grad, dx.map(Double.init), tolerance: 1e-6, "dx against PyTorch")
        assertClose(Array(model.store.gradients[norm.weight.range]), dGamma.map(Double.init), tolerance: 1e-6, "dγ against PyTorch")
        assertClose(Array(model.store.gradients[norm.bias.range]), dBeta.map(Double.init), tolerance: 1e-6, "dβ against PyTorch")
    }

    func testBackwardAgainstFiniteDifferences() throws {
        let cases: [(TensorShape, Int)] = [
            (.image(height: 3, width: 2, channels: 4), 1), (.image(height: 3, width: 2, channels: 4), 2),
            (.image(height: 3, width: 2, channels: 4), 4), (.vector(6), 2), (.vector(5), 1),
        ]
        for (shape, groups) in cases {
            // (Groups of at least 3 values, as in the tangent test below.)
            try LayerCase([GroupNorm(groups: groups)], input: shape, rows: 3, xScale: 2).checkBackward("GroupNorm \(shape) / \(groups)")
        }
        // Between two Dense layers, so dx of GroupNorm feeds a parameter gradient.
        try LayerCase([Dense(outputs: 6), GroupNorm(groups: 2), Tanh(), Dense(outputs: 3)], input: .vector(4), rows: 3)
            .checkBackward("Dense-GroupNorm-Tanh-Dense")
    }

    func testParameterGradientsAccumulateAndDoNotNeedDx() throws {
        let shape = TensorShape.image(height: 2, width: 2, channels: 4), rows = 2
        let first = GroupNorm(groups: 2), second = GroupNorm(groups: 2)
        let a = try Sequential(input: shape, batch: rows, seed: 1, [first])  // dx omitted
        let b = try Sequential(input: shape, batch: rows, seed: 1, inputGradient: true, [second])
        let x = testValues(rows * 16, seed: 1, scale: 3), r = testValues(rows * 16, seed: 2)
        for m in [a, b] {
            m.store.values = testValues(8, seed: 3)
            m.store.zeroGradients()
            for _ in 0 ..< 2 {
                m.forward(x, rows: rows)
                r.withUnsafeBufferPointer { _ = m.backward($0, rows: rows) }
            }
        }
        XCTAssertEqual(a.store.gradients, b.store.gradients, "omitting dx must not change dγ, dβ")
        b.store.zeroGradients()
        b.forward(x, rows: rows)
        r.withUnsafeBufferPointer { _ = b.backward($0, rows: rows) }
        for (twice, once) in zip(a.store.gradients, b.store.gradients) { XCTAssertEqual(twice, 2 * once, accuracy: 1e-6 * abs(once) + 1e-7) }
    }

    func testTangentAgainstFiniteDifferences() throws {
        // Groups of at least 3 values: a group of 2 normalises to ±γ whatever x, so its derivatives
        // are pure round-off (float32 cancellation) and make no test.
        for (shape, groups) in [(TensorShape.image(height: 3, width: 2, channels: 4), 2), (.vector(6), 2), (.vector(4), 1)] {
            let c = try LayerCase([GroupNorm(groups: groups)], input: shape, rows: 2, xScale: 2)
            c.checkTangent("GroupNorm \(shape) / \(groups)")
            c.checkTangent("GroupNorm \(shape) / \(groups), parameters only", inputPath: false)
        }
    }

    func testChannelsNotInMultiplesOfTheGroupsAreRefused() {
        XCTAssertThrowsError(try Sequential(input: .image(height: 4, width: 4, channels: 6), batch: 8, seed: 1,
                                            [GroupNorm(groups: 4)])) { e in
            let err = e as! ShapeError
            XCTAssertEqual(err.expected, [8, 4, 4, 8])
            XCTAssertEqual(err.actual, [8, 4, 4, 6])
            XCTAssertTrue(err.layer.contains("GroupNorm(groups: 4") && err.layer.contains("multiples of 4"), err.layer)
        }
    }
}
