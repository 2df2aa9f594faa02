import Foundation
import XCTest
@testable import Learning

/// Deterministic test data in [−scale, scale] (an LCG: the tests need variety, not quality).
func testValues(_ n: Int, seed: UInt64, scale: Double = 1) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0 ..< n).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Float(scale * (2 * (Double(s >> 11) * 0x1.0p-53) - 1))
    }
}

/// A float64 re-implementation of a built model's forward pass, written from the definitions
/// (not from the layers' code), so finite differences of it are an independent, noise-free
/// reference for the float32 backward passes.
enum RefLayer {
    case dense(outputs: Int, inputs: Int, weight: Int, bias: Int, weightScale: Double, biasScale: Double)
    case relu, tanh, gelu, silu

    static func from(_ layer: any Layer) -> RefLayer {
        switch layer {
        case let d as Dense:
            var ws = 1.0, bs = 1.0
            if case .ntk(let beta) = d.initialization { ws = 1 / Double(d.inputs).squareRoot(); bs = Double(beta) }
            return .dense(outputs: d.outputs, inputs: d.inputs, weight: d.weight.offset, bias: d.bias.offset,
                          weightScale: ws, biasScale: bs)
        case is ReLU: return .relu
        case is Tanh: return .tanh
        case is GELU: return .gelu
        case is SiLU: return .silu
        default: fatalError("no reference for \(layer.summary)")
        }
    }
}

/// Output (rows × width) of `layers` on `x` (rows × inputWidth) with parameters `p`, in float64.
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

/// Mean squared error as defined: Σ (p − t)² / (F·N).
func refMSE(_ p: [Double], _ t: [Double], features: Int, globalBatch: Int) -> Double {
    zip(p, t).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(features * globalBatch)
}

/// Softmax cross-entropy as defined: Σ_rows (log Σ_j e^{z_j} − z_label) / N, with the max shifted out.
func refCE(_ z: [Double], _ labels: [Int32], classes c: Int, globalBatch: Int) -> Double {
    var sum = 0.0
    for r in 0 ..< labels.count {
        let row = Array(z[r * c ..< (r + 1) * c]), m = row.max()!
        sum += m + log(row.map { exp($0 - m) }.reduce(0, +)) - row[Int(labels[r])]
    }
    return sum / Double(globalBatch)
}

/// Binary cross-entropy of σ(z) against t, as −t·log σ(z) − (1 − t)·log(1 − σ(z)) in a stable form.
func refBCE(_ z: [Double], _ t: [Double], features: Int, globalBatch: Int) -> Double {
    var sum = 0.0
    for (zi, ti) in zip(z, t) {
        // log σ(z) = −log(1 + e^{−z}); log(1 − σ(z)) = −z − log(1 + e^{−z}).
        let softplusNeg = zi >= 0 ? log1p(exp(-zi)) : -zi + log1p(exp(zi))
        sum += ti * softplusNeg + (1 - ti) * (zi + softplusNeg)
    }
    return sum / Double(features * globalBatch)
}

/// Central differences of `f` at `v` in float64 (h = 1e-5·max(1, |v_i|)): truncation ~h², rounding ~1e-16/h.
func centralDifferences(_ v: [Double], _ f: ([Double]) -> Double) -> [Double] {
    var w = v
    return (0 ..< v.count).map { i in
        let h = 1e-5 * max(1, abs(v[i]))
        w[i] = v[i] + h
        let up = f(w)
        w[i] = v[i] - h
        let down = f(w)
        w[i] = v[i]
        return (up - down) / (2 * h)
    }
}

/// Largest |analytic − reference| relative to the largest |reference|; fails above `tolerance`.
@discardableResult
func assertGradient(_ analytic: [Float], _ reference: [Double], tolerance: Double, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(analytic.count, reference.count, what, file: file, line: line)
    let scale = max(reference.map(abs).max() ?? 0, 1e-30)
    let worst = zip(analytic, reference).map { abs(Double($0) - $1) }.max() ?? 0
    XCTAssertGreaterThan(scale, 1e-8, "\(what): reference gradient is all zero, the check would be empty", file: file, line: line)
    XCTAssertLessThanOrEqual(worst / scale, tolerance, "\(what): max error \(worst), max |ref| \(scale)", file: file, line: line)
    return worst / scale
}
