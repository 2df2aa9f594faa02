import XCTest
@testable import Learning
import LearningTestSupport

/// Every layer's forward-mode derivatives (first and second order, along a parameter direction and
/// an input path) against central differences of an independent float64 forward (Reference.swift),
/// and the whole-model API against central differences of the model's own float32 forward.
///
/// Tolerances, as max |error| / max |reference|: y 1e-6, ẏ 1e-5, ÿ 1e-4 against the float64
/// differences (whose own error is ≲ 1e-7). Measured (printed by `check`): y ≤ 2.6e-7, ẏ ≤ 1.2e-6,
/// ÿ ≤ 2.5e-6 — float32 rounding through up to nine layers. Mutations measured with these tests:
/// dropping the 2 in ÿ = s_w(ẍWᵀ + 2ẋVᵀ) gives ÿ errors 0.2–0.33, dropping u'' from GELU's σ''
/// gives 0.02–0.05, so the margins hide no bug. The float32 double-check (the model's own forward
/// at θ ± h·v) uses h = 1e-2 for ẏ and 3e-2 for ÿ; measured 1.6e-4 and 3.1e-3, held to 2e-3 and 2e-2.
final class TangentTests: XCTestCase {
    static let valueTolerance = 1e-6
    static let firstTolerance = 1e-5
    static let secondTolerance = 1e-4

    /// Builds `layers`, runs the second- and first-order tangent pass on a random input path and
    /// direction and compares with `refTaylor`. Returns the measured relative errors.
    @discardableResult
    func check(_ layers: [any Layer], inputs: Int = 6, rows: Int = 4, scale: Double = 2, inputPath: Bool = true,
               _ what: String, file: StaticString = #filePath, line: UInt = #line) throws -> [Double] {
        let model = try Sequential(inputFeatures: inputs, batch: rows, seed: 5, inputGradient: true, layers)
        let n = rows * inputs
        let x = testValues(n, seed: 3, scale: scale)
        let dx = inputPath ? testValues(n, seed: 13) : [Float](repeating: 0, count: n)
        let ddx = inputPath ? testValues(n, seed: 23) : [Float](repeating: 0, count: n)
        let v = testValues(model.store.count, seed: 31)
        let m = rows * model.outputFeatures
        var y = [Float](), dy = [Float](), ddy = [Float](), dyFirstOnly = [Float]()
        x.withUnsafeBufferPointer { px in
            dx.withUnsafeBufferPointer { pdx in
                ddx.withUnsafeBufferPointer { pddx in
                    v.withUnsafeBufferPointer { pv in
                        let r = model.tangentForward(px.baseAddress!, pdx.baseAddress!, pddx.baseAddress!,
                                                     direction: pv.baseAddress!, rows: rows)
                        y = Array(UnsafeBufferPointer(start: r.y, count: m))
                        dy = Array(UnsafeBufferPointer(start: r.dy, count: m))
                        ddy = Array(UnsafeBufferPointer(start: r.ddy!, count: m))
                        let f = model.tangentForward(px.baseAddress!, pdx.baseAddress!, nil, direction: pv.baseAddress!, rows: rows)
                        XCTAssertNil(f.ddy, "\(what): a first-order pass returns no ÿ", file: file, line: line)
                        dyFirstOnly = Array(UnsafeBufferPointer(start: f.dy, count: m))
                    }
                }
            }
        }
        XCTAssertEqual(dyFirstOnly, dy, "\(what): ẏ must not depend on whether ÿ is asked for", file: file, line: line)
        let ref = model.layers.map(RefLayer.from)
        let p = model.store.values.map(Double.init)
        let yRef = refForward(ref, p, x.map(Double.init), rows: rows)
        let t = refTaylor(ref, p: p, v: v.map(Double.init), x: x.map(Double.init), dx: dx.map(Double.init),
                          ddx: ddx.map(Double.init), rows: rows)
        let errors = [relativeError(y, yRef), relativeError(dy, t.first), relativeError(ddy, t.second)]
        print("tangent \(what): relative errors y \(errors[0]), ẏ \(errors[1]), ÿ \(errors[2])")
        XCTAssertLessThanOrEqual(errors[0], Self.valueTolerance, "\(what): y", file: file, line: line)
        XCTAssertLessThanOrEqual(errors[1], Self.firstTolerance, "\(what): ẏ", file: file, line: line)
        XCTAssertLessThanOrEqual(errors[2], Self.secondTolerance, "\(what): ÿ", file: file, line: line)
        // The reference itself must see a non-trivial second derivative, or the check is empty.
        if !(layers.count == 1 && layers[0] is ReLU) {
            XCTAssertGreaterThan(t.second.map(abs).max()!, 1e-2, "\(what): ÿ reference is ~0", file: file, line: line)
        }
        return errors
    }

    func testDenseTangents() throws {
        try check([Dense(outputs: 5, initialization: .he)], "Dense he")
        try check([Dense(outputs: 5, initialization: .ntk(beta: 0.3))], "Dense ntk")
        // ẋ = ẍ = 0: ẏ = s_w·x·Vᵀ + s_b·v_b and ÿ = 0 exactly (the layer is linear in θ).
        let model = try Sequential(inputFeatures: 6, batch: 4, seed: 5, [Dense(outputs: 5, initialization: .ntk(beta: 0.3))])
        let second = model.secondDirectionalDerivative(x: testValues(24, seed: 3), direction: testValues(model.store.count, seed: 31), rows: 4)
        XCTAssertEqual(second, [Float](repeating: 0, count: 20))
    }

    func testActivationTangents() throws {
        let x = testValues(24, seed: 3, scale: 2)
        // ReLU is only differentiable away from 0: the differences move x by at most
        // h·|ẋ| + ½h²·|ẍ| ≈ 1e-3 (h = 1e-3, |ẋ|, |ẍ| ≤ 1) and must not cross it.
        XCTAssertGreaterThan(x.map(abs).min()!, 2e-3, "ReLU inputs must keep clear of the kink")
        try check([ReLU()], "ReLU")
        try check([Tanh()], "Tanh")
        try check([GELU()], "GELU")
        try check([SiLU()], "SiLU")
        // The saturated branches (tanh, σ near 0 and 1) must stay exact too.
        try check([Tanh()], scale: 6, "Tanh large")
        try check([GELU()], scale: 8, "GELU large")
        try check([SiLU()], scale: 30, "SiLU large")
    }

    /// Every layer kind, with the ReLU last of the activations or (`smooth`) a second Tanh instead:
    /// float32 differences need steps of a few percent, which would cross ReLU kinks.
    func deepModelLayers(smooth: Bool = false) -> [any Layer] {
        [Dense(outputs: 7, initialization: .ntk(beta: 0.2)), Tanh(), Dense(outputs: 6, initialization: .ntk(beta: 0.2)), GELU(),
         Dense(outputs: 5, initialization: .glorot), SiLU(), Dense(outputs: 4, initialization: .he), smooth ? Tanh() : ReLU(),
         Dense(outputs: 3, initialization: .ntk(beta: 0.5))]
    }

    func testSequentialChainsEveryLayer() throws {
        try check(deepModelLayers(), rows: 5, "deep, input path")
        try check(deepModelLayers(), rows: 5, inputPath: false, "deep, parameters only")
    }

    /// jvp and secondDirectionalDerivative against the model's own float32 forward at θ ± h·v.
    func testJVPAgainstFloat32Differences() throws {
        let rows = 5
        let model = try Sequential(inputFeatures: 6, batch: rows, seed: 5, deepModelLayers(smooth: true))
        let x = testValues(rows * 6, seed: 3, scale: 2), v = testValues(model.store.count, seed: 31)
        let jv = model.jvp(x: x, direction: v, rows: rows)
        let vhv = model.secondDirectionalDerivative(x: x, direction: v, rows: rows)
        let theta = model.store.values
        func forward(at e: Float) -> [Double] {
            model.store.values = zip(theta, v).map { $0 + e * $1 }
            defer { model.store.values = theta }
            return model.forward(x, rows: rows).map(Double.init)
        }
        let (h1, h2): (Float, Float) = (1e-2, 3e-2)
        let (p1, m1) = (forward(at: h1), forward(at: -h1))
        let (p2, z, m2) = (forward(at: h2), forward(at: 0), forward(at: -h2))
        let first = zip(p1, m1).map { ($0 - $1) / (2 * Double(h1)) }
        let second = (0 ..< z.count).map { (p2[$0] - 2 * z[$0] + m2[$0]) / Double(h2 * h2) }
        let e1 = relativeError(jv, first), e2 = relativeError(vhv, second)
        print("float32 differences: J·v \(e1), vᵀHv \(e2)")
        XCTAssertLessThanOrEqual(e1, 2e-3)
        XCTAssertLessThanOrEqual(e2, 2e-2)
        // The value of the Taylor pass is the forward itself (the same GEMMs).
        let t = x.withUnsafeBufferPointer { px in v.withUnsafeBufferPointer { Array(model.taylor(x: px, direction: $0, rows: rows, secondOrder: false).value) } }
        XCTAssertEqual(t, z.map(Float.init))
    }

    /// A tangent pass between forward and backward leaves the training state alone.
    func testTangentPassDoesNotDisturbTraining() throws {
        let rows = 4
        func gradients(interleave: Bool) throws -> [Float] {
            let model = try Sequential(inputFeatures: 6, batch: rows, seed: 5, deepModelLayers())
            let x = testValues(rows * 6, seed: 3), dy = testValues(rows * 3, seed: 8)
            model.forward(x, rows: rows)
            if interleave {
                _ = model.secondDirectionalDerivative(x: testValues(rows * 6, seed: 9), direction: testValues(model.store.count, seed: 1), rows: rows)
            }
            dy.withUnsafeBufferPointer { _ = model.backward($0, rows: rows) }
            return model.store.gradients
        }
        XCTAssertEqual(try gradients(interleave: true), try gradients(interleave: false))
    }

    /// A layer without tangentForward is named before any work.
    func testUnsupportedLayerIsNamed() throws {
        final class Passthrough: Layer {
            var shape = TensorShape.vector(1)
            var summary: String { "Passthrough" }
            var outputShape: TensorShape { shape }
            func build(input: TensorShape, context: BuildContext) throws -> TensorShape { shape = input; return input }
            func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> { x }
            func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> { dy }
        }
        let model = try Sequential(inputFeatures: 3, batch: 2, seed: 1, [Dense(outputs: 2), Passthrough()])
        XCTAssertThrowsError(try model.tangentLayers()) { error in
            XCTAssertEqual(error as? TangentUnsupportedError, TangentUnsupportedError(layerIndex: 1, layer: "Passthrough"))
            XCTAssertTrue("\(error)".contains("layer 1 (Passthrough)"), "\(error)")
        }
        XCTAssertThrowsError(try Linearization(model: model, probes: [0, 0, 0], probeCount: 1))
    }
}
