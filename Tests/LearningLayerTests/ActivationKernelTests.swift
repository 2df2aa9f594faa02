import CLearningKernels
import Foundation
import XCTest
@testable import Learning
import LearningTestSupport

/// The C kernels of SiLU and GELU (own vectorisable exp) against the scalar float64 formulas and
/// against the float32 libm formulas the Swift layers used before.
final class ActivationKernelTests: XCTestCase {
    /// x on a dense grid of [−20, 20], the tails out to ±100, tiny values and 0, and an odd count
    /// so the vector loops' remainder runs too.
    static let inputs: [Float] = {
        var x = stride(from: -20.0, through: 20.0, by: 0.01).map { Float($0) }
        x += [-100, -90, -87.5, -87, -50, -30, 30, 50, 87, 100, -1e-30, 1e-30, -1e-7, 1e-7, 0, -0.0]
        return x + [0.123]
    }()

    static func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }
    static func siluDerivative(_ x: Double) -> Double { let s = 1 / (1 + exp(-x)); return s * (1 + x * (1 - s)) }
    static let c = (2 / Double.pi).squareRoot(), a = 0.044715
    /// 0.5·x·(1 + tanh(u)) written as x·σ(2u): the same function without the cancellation of
    /// 1 + tanh(u) for u ≪ 0, which would leave even a float64 reference with no correct digits.
    static func gelu(_ x: Double) -> Double { x / (1 + exp(-2 * c * (x + a * x * x * x))) }
    static func geluDerivative(_ x: Double) -> Double {
        let t = tanh(c * (x + a * x * x * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * a * x * x)
    }

    /// Errors in float32 ulps of the reference, divided by 1 + |z|, z the argument of the
    /// exponential: z is itself rounded to float32, and e^z turns a relative error δ of z into
    /// |z|·δ, an error inherent in any float32 evaluation. Points with |ref| < 1e−30 (the far
    /// negative tails, where the kernels flush e^z below e^−87 to 0) are measured absolutely.
    func errors(_ got: [Float], _ ref: [Double], exponent: (Double) -> Double, _ x: [Float]) -> (ulps: Double, absoluteTiny: Double) {
        var ulps = 0.0, tiny = 0.0
        for (i, (g, r)) in zip(got, ref).enumerated() {
            let e = abs(Double(g) - r)
            if abs(r) >= 1e-30 {
                ulps = max(ulps, e / (abs(r) * 0x1p-24) / (1 + abs(exponent(Double(x[i])))))
            } else {
                tiny = max(tiny, e)
            }
        }
        return (ulps, tiny)
    }

    func run(_ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void, _ x: [Float]) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { kernel(xp.baseAddress!, $0.baseAddress!, x.count) } }
        return y
    }

    func testSiLUAndGELUForwardAgainstTheFormulas() {
        let x = Self.inputs, xd = x.map(Double.init)
        let silu = errors(run({ cl_silu_forward($0, $1, $2) }, x), xd.map(Self.silu), exponent: { $0 }, x)
        let gelu = errors(run({ cl_gelu_forward($0, $1, $2) }, x), xd.map(Self.gelu),
                          exponent: { 2 * Self.c * ($0 + Self.a * $0 * $0 * $0) }, x)
        // Measured: SiLU 2.1, GELU 2.2 ulps per (1 + |z|); tails below 5e−36 absolute.
        XCTAssertLessThanOrEqual(silu.ulps, 4, "SiLU forward")
        XCTAssertLessThanOrEqual(gelu.ulps, 4, "GELU forward")
        XCTAssertLessThanOrEqual(silu.absoluteTiny, 1e-34, "SiLU forward, tail")
        XCTAssertLessThanOrEqual(gelu.absoluteTiny, 1e-34, "GELU forward, tail")
        print("C kernels forward: SiLU \(silu.ulps), GELU \(gelu.ulps) ulps per (1 + |z|); tails \(silu.absoluteTiny), \(gelu.absoluteTiny)")
    }

    func testSiLUAndGELUBackwardAgainstTheFormulas() {
        let x = Self.inputs, xd = x.map(Double.init)
        let dy = testValues(x.count, seed: 5, scale: 2)
        func backward(_ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
            var dx = [Float](repeating: .nan, count: x.count)
            x.withUnsafeBufferPointer { xp in dy.withUnsafeBufferPointer { dyp in
                dx.withUnsafeMutableBufferPointer { kernel(xp.baseAddress!, dyp.baseAddress!, $0.baseAddress!, x.count) }
            } }
            return dx
        }
        let silu = backward { cl_silu_backward($0, $1, $2, $3) }
        let gelu = backward { cl_gelu_backward($0, $1, $2, $3) }
        // The derivative is O(1): compare absolutely, relative to |dy|.
        let siluErr = zip(silu, xd.indices).map { abs(Double($0) - Double(dy[$1]) * Self.siluDerivative(xd[$1])) / max(abs(Double(dy[$1])), 1e-3) }.max()!
        let geluErr = zip(gelu, xd.indices).map { abs(Double($0) - Double(dy[$1]) * Self.geluDerivative(xd[$1])) / max(abs(Double(dy[$1])), 1e-3) }.max()!
        XCTAssertLessThanOrEqual(siluErr, 1e-6, "SiLU backward")
        XCTAssertLessThanOrEqual(geluErr, 1e-6, "GELU backward")
        print("C kernels backward: SiLU \(siluErr), GELU \(geluErr) (absolute per unit dy)")
    }

    func testKernelsStayWithinRoundOffOfTheFormerSwiftLoops() {
        // The Swift loops this replaces: x·σ(x) with a branch-stable σ, and 0.5·x·(1 + tanhf(u)).
        let x = Self.inputs
        func sigmoid(_ v: Float) -> Float { v >= 0 ? 1 / (1 + expf(-v)) : expf(v) / (1 + expf(v)) }
        let oldSiLU = x.map { $0 * sigmoid($0) }
        let oldGELU = x.map { v in 0.5 * v * (1 + tanhf(Float(Self.c) * (v + Float(Self.a) * v * v * v))) }
        let newSiLU = run({ cl_silu_forward($0, $1, $2) }, x), newGELU = run({ cl_gelu_forward($0, $1, $2) }, x)
        // Absolute difference per unit max(1, |x|): both are float32 evaluations of one function.
        let ds = zip(oldSiLU, newSiLU).enumerated().map { abs(Double($1.0 - $1.1)) / max(1, Double(abs(x[$0]))) }.max()!
        let dg = zip(oldGELU, newGELU).enumerated().map { abs(Double($1.0 - $1.1)) / max(1, Double(abs(x[$0]))) }.max()!
        XCTAssertLessThanOrEqual(ds, 4e-7)
        XCTAssertLessThanOrEqual(dg, 4e-7)
        print("C kernels against the former Swift loops: SiLU \(ds), GELU \(dg)")
    }

    func testNaNPropagatesAndLargeInputsStayFinite() {
        let x: [Float] = [.nan, 1e30, -1e30, 3e38, -3e38]
        let s = run({ cl_silu_forward($0, $1, $2) }, x), g = run({ cl_gelu_forward($0, $1, $2) }, x)
        XCTAssertTrue(s[0].isNaN && g[0].isNaN, "NaN must reach the loss so the trainer can stop")
        XCTAssertEqual(Array(s[1...]), [1e30, -0.0, 3e38, -0.0])
        XCTAssertEqual(g[1], 1e30)
        XCTAssertEqual(g[3], 3e38)
        XCTAssertEqual(g[2], 0)
        XCTAssertEqual(g[4], 0)
    }

    func testLayersUseTheKernels() throws {
        // The layers' forward and backward equal the kernels' bits.
        let x = testValues(64, seed: 9, scale: 6), r = testValues(64, seed: 10)
        for (layer, fwd, bwd) in [(SiLU() as any Layer, { cl_silu_forward($0, $1, $2) } as (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void,
                                   { cl_silu_backward($0, $1, $2, $3) } as (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void),
                                  (GELU(), { cl_gelu_forward($0, $1, $2) }, { cl_gelu_backward($0, $1, $2, $3) })] {
            let m = try Sequential(inputFeatures: 16, batch: 4, seed: 1, inputGradient: true, [layer])
            XCTAssertEqual(Array(m.forward(x, rows: 4)), run(fwd, x), layer.summary)
            let dx = r.withUnsafeBufferPointer { Array(m.backward($0, rows: 4)) }
            var expected = [Float](repeating: 0, count: 64)
            x.withUnsafeBufferPointer { xp in r.withUnsafeBufferPointer { rp in
                expected.withUnsafeMutableBufferPointer { bwd(xp.baseAddress!, rp.baseAddress!, $0.baseAddress!, 64) }
            } }
            XCTAssertEqual(dx, expected, layer.summary)
        }
    }
}
