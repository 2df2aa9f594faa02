import XCTest
@testable import Learning
import LearningTestSupport

/// Tolerances of the float32 layers against the float64 reference, relative to the largest
/// reference component. Measured on every case of this target (they print their errors):
/// forward ≤ 1.3e-7, gradients ≤ 2.5e-7, first-order tangents ≤ 8e-8, second-order ≤ 6.2e-7.
/// - forward output: 1e-6 (a few float32 roundings);
/// - gradients (backward) and first-order tangents: 1e-5;
/// - second-order tangents: 1e-5 (the float64 second difference has h = 1e-3: truncation ~1e-7).
enum Tolerance {
    static let forward = 1e-6
    static let gradient = 1e-5
    static let firstOrder = 1e-5
    static let secondOrder = 1e-5
}

/// A model of `layers` on `rows` samples of `input`, with test data and its float64 reference.
struct LayerCase {
    let model: Sequential
    let ref: [RefLayer]
    let rows: Int
    let x: [Float]

    /// Builds the model; replaces the initial parameters by random ones when `randomParameters`
    /// (GroupNorm's γ = 1, β = 0 would hide errors in their use).
    init(_ layers: [any Layer], input: TensorShape, rows: Int, xScale: Double = 1, randomParameters: Bool = true,
         seed: UInt64 = 3) throws {
        model = try Sequential(input: input, batch: rows, seed: 5, inputGradient: true, layers)
        if randomParameters {
            let p = testValues(model.store.count, seed: 9)
            model.store.values.withUnsafeMutableBufferPointer { v in for i in v.indices { v[i] = p[i] } }
        }
        ref = model.layers.map(RefLayer.from)
        self.rows = rows
        x = testValues(rows * input.elements, seed: seed, scale: xScale)
    }

    var parameters: [Double] { model.store.values.map(Double.init) }

    func reference(_ p: [Double], _ x: [Double]) -> [Double] {
        refForward(ref, p, x, shape: model.inputShape.dims, rows: rows).0
    }

    /// Forward against the reference, then backward of L = Σ r·y against central differences of
    /// the reference loss, for the parameters and the input. Returns the three relative errors.
    @discardableResult
    func checkBackward(_ what: String, file: StaticString = #filePath, line: UInt = #line)
        -> (forward: Double, parameters: Double, input: Double) {
        let r = testValues(rows * model.outputFeatures, seed: 4), rd = r.map(Double.init)
        model.store.zeroGradients()
        let y = Array(model.forward(x, rows: rows))
        let dx = r.withUnsafeBufferPointer { Array(model.backward($0, rows: rows)) }
        let grads = model.store.gradients
        let p = parameters, xd = x.map(Double.init)
        let loss = { (y: [Double]) in zip(y, rd).map { $0 * $1 }.reduce(0, +) }
        let ef = assertClose(y, reference(p, xd), tolerance: Tolerance.forward, "\(what): forward", file: file, line: line)
        var ep = 0.0
        if !p.isEmpty {
            let dp = centralDifferences(p) { loss(reference($0, xd)) }
            ep = assertClose(grads, dp, tolerance: Tolerance.gradient, "\(what): parameter gradients", file: file, line: line)
        }
        let dxRef = centralDifferences(xd) { loss(reference(p, $0)) }
        let ex = assertClose(dx, dxRef, tolerance: Tolerance.gradient, "\(what): input gradient", file: file, line: line)
        print("\(what): backward errors: forward \(ef), parameters \(ep), input \(ex)")
        return (ef, ep, ex)
    }

    /// Chains the layers' `tangentForward` along the parameter direction v and the input path
    /// x + εẋ + ½ε²ẍ (ẋ = ẍ = 0 when `inputPath` is false) and compares y, ẏ and ÿ with central
    /// differences of the reference along ε; also checks that first order alone gives the same ẏ
    /// and no ÿ. Returns the relative errors of (y, ẏ, ÿ).
    @discardableResult
    func checkTangent(_ what: String, inputPath: Bool = true, file: StaticString = #filePath, line: UInt = #line)
        -> (value: Double, first: Double, second: Double) {
        let n = x.count
        let v = testValues(model.store.count, seed: 21)
        let dx = inputPath ? testValues(n, seed: 22) : [Float](repeating: 0, count: n)
        let ddx = inputPath ? testValues(n, seed: 23) : [Float](repeating: 0, count: n)
        let tangentLayers = model.layers.map { layer -> any TangentLayer in
            guard let t = layer as? any TangentLayer else { fatalError("\(layer.summary) is not a TangentLayer") }
            return t
        }
        func run(secondOrder: Bool) -> ([Float], [Float], [Float]?) {
            x.withUnsafeBufferPointer { xp in dx.withUnsafeBufferPointer { dxp in ddx.withUnsafeBufferPointer { ddxp in
                v.withUnsafeBufferPointer { vp in
                    var h: (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) =
                        (xp.baseAddress!, dxp.baseAddress!, secondOrder ? ddxp.baseAddress! : nil)
                    for t in tangentLayers { h = t.tangentForward(h.y, h.dy, h.ddy, direction: vp.baseAddress!, rows: rows) }
                    let m = rows * model.outputFeatures
                    return (Array(UnsafeBufferPointer(start: h.y, count: m)), Array(UnsafeBufferPointer(start: h.dy, count: m)),
                            h.ddy.map { Array(UnsafeBufferPointer(start: $0, count: m)) })
                }
            } } }
        }
        let (y, dy, ddy) = run(secondOrder: true)
        let (y1, dy1, ddy1) = run(secondOrder: false)
        XCTAssertNil(ddy1, "\(what): first order only must return no ÿ", file: file, line: line)
        XCTAssertEqual(y1, y, "\(what): y must not depend on the order asked", file: file, line: line)
        XCTAssertEqual(dy1, dy, "\(what): ẏ must not depend on the order asked", file: file, line: line)

        let p = parameters, xd = x.map(Double.init)
        let vd = v.map(Double.init), dxd = dx.map(Double.init), ddxd = ddx.map(Double.init)
        func along(_ e: Double) -> [Double] {
            reference(zip(p, vd).map { $0 + e * $1 }, (0 ..< n).map { xd[$0] + e * dxd[$0] + 0.5 * e * e * ddxd[$0] })
        }
        let (h1, h2) = (1e-5, 1e-3)
        let y0 = along(0), up1 = along(h1), down1 = along(-h1), up2 = along(h2), down2 = along(-h2)
        let first = zip(up1, down1).map { ($0 - $1) / (2 * h1) }
        let second = (0 ..< y0.count).map { (up2[$0] - 2 * y0[$0] + down2[$0]) / (h2 * h2) }
        let ev = assertClose(y, y0, tolerance: Tolerance.forward, "\(what): tangent y", file: file, line: line)
        let e1 = assertClose(dy, first, tolerance: Tolerance.firstOrder, "\(what): ẏ", file: file, line: line)
        let e2: Double
        if second.allSatisfy({ abs($0) < 1e-8 }) {
            // y is linear along this path (for example a linear layer, or only γ and β moving):
            // then ÿ must be zero, not merely small.
            e2 = (ddy ?? []).map { Double(abs($0)) }.max() ?? 0
            XCTAssertLessThanOrEqual(e2, 1e-6, "\(what): ÿ must vanish along a path on which y is linear", file: file, line: line)
        } else {
            e2 = assertClose(ddy ?? [], second, tolerance: Tolerance.secondOrder, "\(what): ÿ", file: file, line: line)
        }
        print("\(what): tangent errors: y \(ev), first order \(e1), second order \(e2)")
        return (ev, e1, e2)
    }
}
