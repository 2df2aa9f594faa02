import Foundation
@testable import Learning

/// Deterministic test data in [−scale, scale] (an LCG: the tests need variety, not quality).
func testValues(_ n: Int, seed: UInt64, scale: Double = 1) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0 ..< n).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Float(scale * (2 * (Double(s >> 11) * 0x1.0p-53) - 1))
    }
}

/// A float64 forward pass of a built model written from the layer definitions, not from the
/// layers' code (the same construction as LearningTests/Reference.swift, which a test target
/// cannot share), so its finite differences are an independent, noise-free reference.
enum RefLayer {
    case dense(outputs: Int, inputs: Int, weight: Int, bias: Int, weightScale: Double, biasScale: Double)
    case relu, tanh, gelu, silu

    static func from(_ layer: any Layer) -> RefLayer {
        switch layer {
        case let d as Dense:
            return .dense(outputs: d.outputs, inputs: d.inputs, weight: d.weight.offset, bias: d.bias.offset,
                          weightScale: Double(d.weightScale), biasScale: Double(d.biasScale))
        case is ReLU: return .relu
        case is Tanh: return .tanh
        case is GELU: return .gelu
        case is SiLU: return .silu
        default: fatalError("no reference for \(layer.summary)")
        }
    }
}

/// Output (rows × width) of `layers` on `x` with parameters `p`, in float64.
func refForward(_ layers: [RefLayer], _ p: [Double], _ x: [Double], rows: Int) -> [Double] {
    var h = x
    for layer in layers {
        switch layer {
        case let .dense(n, k, w, b, ws, bs):
            var y = [Double](repeating: 0, count: rows * n)
            for r in 0 ..< rows {
                for j in 0 ..< n {
                    var acc = 0.0
                    for i in 0 ..< k { acc += h[r * k + i] * p[w + j * k + i] }
                    y[r * n + j] = ws * acc + bs * p[b + j]
                }
            }
            h = y
        case .relu: h = h.map { max(0, $0) }
        case .tanh: h = h.map { Foundation.tanh($0) }
        case .gelu: h = h.map { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }
        case .silu: h = h.map { $0 / (1 + exp(-$0)) }
        }
    }
    return h
}

/// Float64 first and second derivatives in ε of y(ε) = f(p + ε·v, x + ε·ẋ + ½ε²·ẍ) by central
/// differences of `refForward`: (y(h) − y(−h))/2h and (y(h) − 2y(0) + y(−h))/h². With h = 1e-3
/// their truncation errors are ~h²·|y'''|/6 and ~h²·|y''''|/12 (≈ 1e-7 relative here), round-off
/// ~1e-13 and ~1e-10.
func refTaylor(_ layers: [RefLayer], p: [Double], v: [Double], x: [Double], dx: [Double], ddx: [Double],
               rows: Int, h: Double = 1e-3) -> (first: [Double], second: [Double]) {
    func at(_ e: Double) -> [Double] {
        let pe = zip(p, v).map { $0 + e * $1 }
        let xe = (0 ..< x.count).map { x[$0] + e * dx[$0] + 0.5 * e * e * ddx[$0] }
        return refForward(layers, pe, xe, rows: rows)
    }
    let plus = at(h), minus = at(-h), zero = at(0)
    let first = zip(plus, minus).map { ($0 - $1) / (2 * h) }
    let second = (0 ..< zero.count).map { (plus[$0] - 2 * zero[$0] + minus[$0]) / (h * h) }
    return (first, second)
}

/// max |a − b| / max |b|: the error relative to the reference's scale.
func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    let scale = max(b.map(abs).max() ?? 0, 1e-30)
    return zip(a, b).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? 0
}
