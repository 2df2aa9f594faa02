import Foundation
import XCTest
import Learning

/// Deterministic test data in [−scale, scale] (an LCG: the tests need variety, not quality).
public func testValues(_ n: Int, seed: UInt64, scale: Double = 1) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1
    return (0 ..< n).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Float(scale * (2 * (Double(s >> 11) * 0x1.0p-53) - 1))
    }
}

/// A float64 re-implementation of built layers, written from the definitions (not from the
/// layers' code), so finite differences of it are an independent, noise-free reference for the
/// float32 backward passes and forward-mode derivatives. Tensors are rows × per-sample shape.
/// Shared by the Learning test targets (LearningTests, LearningLayerTests, LearningTangentTests).
public indirect enum RefLayer {
    case dense(outputs: Int, inputs: Int, weight: Int, bias: Int, weightScale: Double, biasScale: Double)
    case relu, tanh, gelu, silu
    case groupNorm(groups: Int, epsilon: Double, weight: Int, bias: Int)
    case avgPool(factor: Int)
    case upsample(factor: Int)
    case residual([RefLayer])
    case concatenate([[RefLayer]])

    public static func from(_ layer: any Layer) -> RefLayer {
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
        case let g as GroupNorm:
            return .groupNorm(groups: g.groups, epsilon: Double(g.epsilon), weight: g.weight.offset, bias: g.bias.offset)
        case let a as AvgPool2d: return .avgPool(factor: a.factor)
        case let u as NearestUpsample2d: return .upsample(factor: u.factor)
        case let r as Residual: return .residual(r.layers.map(from))
        case let c as Concatenate: return .concatenate(c.layers.map { $0.map(from) })
        case let c as Chain: return .concatenate([c.layers.map(from)])  // one branch: the chain itself
        default: fatalError("no reference for \(layer.summary)")
        }
    }
}

/// Applies `layers` in order to x (rows × shape) with parameters p; returns the output and its
/// per-sample shape.
public func refForward(_ layers: [RefLayer], _ p: [Double], _ x: [Double], shape: [Int], rows: Int) -> ([Double], [Int]) {
    var (h, s) = (x, shape)
    for layer in layers { (h, s) = refForward(layer, p, h, shape: s, rows: rows) }
    return (h, s)
}

public func refForward(_ layer: RefLayer, _ p: [Double], _ h: [Double], shape s: [Int], rows: Int) -> ([Double], [Int]) {
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
        return (y, [n])
    case .relu: return (h.map { max(0, $0) }, s)
    case .tanh: return (h.map { Foundation.tanh($0) }, s)
    case .gelu:
        return (h.map { 0.5 * $0 * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }, s)
    case .silu: return (h.map { $0 / (1 + exp(-$0)) }, s)
    case let .groupNorm(groups, eps, w, b):
        return (refGroupNorm(h, shape: s, rows: rows, groups: groups, epsilon: eps,
                             gamma: Array(p[w ..< w + s.last!]), beta: Array(p[b ..< b + s.last!])), s)
    case let .avgPool(k):
        let (hh, ww, c) = (s[0], s[1], s[2]), (oh, ow) = (hh / k, ww / k)
        var y = [Double](repeating: 0, count: rows * oh * ow * c)
        for n in 0 ..< rows { for i in 0 ..< hh { for j in 0 ..< ww { for ch in 0 ..< c {
            y[((n * oh + i / k) * ow + j / k) * c + ch] += h[((n * hh + i) * ww + j) * c + ch] / Double(k * k)
        } } } }
        return (y, [oh, ow, c])
    case let .upsample(k):
        let (hh, ww, c) = (s[0], s[1], s[2]), (oh, ow) = (hh * k, ww * k)
        var y = [Double](repeating: 0, count: rows * oh * ow * c)
        for n in 0 ..< rows { for i in 0 ..< oh { for j in 0 ..< ow { for ch in 0 ..< c {
            y[((n * oh + i) * ow + j) * c + ch] = h[((n * hh + i / k) * ww + j / k) * c + ch]
        } } } }
        return (y, [oh, ow, c])
    case let .residual(inner):
        let (f, _) = refForward(inner, p, h, shape: s, rows: rows)
        return (zip(h, f).map { $0 + $1 }, s)
    case let .concatenate(branches):
        let outs = branches.map { refForward($0, p, h, shape: s, rows: rows) }
        let channels = outs.map { $0.1.last! }, total = channels.reduce(0, +)
        let positions = outs[0].1.dropLast().reduce(1, *)
        var y: [Double] = []
        y.reserveCapacity(rows * positions * total)
        for q in 0 ..< rows * positions {
            for (o, c) in zip(outs, channels) { y += o.0[q * c ..< (q + 1) * c] }
        }
        return (y, Array(outs[0].1.dropLast()) + [total])
    }
}

/// GroupNorm from its definition (torch.nn.GroupNorm): per sample and group of C/G channels, the
/// mean and the biased variance over every position and channel of the group, eps inside the root.
public func refGroupNorm(_ x: [Double], shape: [Int], rows: Int, groups: Int, epsilon: Double,
                  gamma: [Double], beta: [Double]) -> [Double] {
    let c = shape.last!, positions = shape.reduce(1, *) / c, perGroup = c / groups
    var y = x
    for n in 0 ..< rows {
        for g in 0 ..< groups {
            let idx = (0 ..< positions).flatMap { q in (g * perGroup ..< (g + 1) * perGroup).map { (n * positions + q) * c + $0 } }
            let m = Double(idx.count)
            let mu = idx.map { x[$0] }.reduce(0, +) / m
            let v = idx.map { (x[$0] - mu) * (x[$0] - mu) }.reduce(0, +) / m
            for i in idx { y[i] = gamma[i % c] * (x[i] - mu) / (v + epsilon).squareRoot() + beta[i % c] }
        }
    }
    return y
}

/// Central differences of `f` at `v` in float64 (h = 1e-5·max(1, |v_i|)): truncation ~h², rounding ~1e-16/h.
public func centralDifferences(_ v: [Double], _ f: ([Double]) -> Double) -> [Double] {
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

/// Largest |value − reference| relative to the largest |reference|; fails above `tolerance`.
@discardableResult
public func assertClose(_ value: [Float], _ reference: [Double], tolerance: Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(value.count, reference.count, "\(what): sizes", file: file, line: line)
    let scale = max(reference.map(abs).max() ?? 0, 1e-30)
    let worst = zip(value, reference).map { abs(Double($0) - $1) }.max() ?? 0
    XCTAssertGreaterThan(scale, 1e-8, "\(what): reference is all zero, the check would be empty", file: file, line: line)
    XCTAssertLessThanOrEqual(worst / scale, tolerance, "\(what): max error \(worst), max |ref| \(scale)", file: file, line: line)
    return worst / scale
}

/// `refForward` of a dense model: x is rows × width, the output rows × output width.
public func refForward(_ layers: [RefLayer], _ p: [Double], _ x: [Double], rows: Int) -> [Double] {
    refForward(layers, p, x, shape: [x.count / max(rows, 1)], rows: rows).0
}

/// `assertClose` under the name the gradient checks use.
@discardableResult
public func assertGradient(_ analytic: [Float], _ reference: [Double], tolerance: Double, _ what: String,
                           file: StaticString = #filePath, line: UInt = #line) -> Double {
    assertClose(analytic, reference, tolerance: tolerance, what, file: file, line: line)
}

/// Float64 first and second derivatives in ε of y(ε) = f(p + ε·v, x + ε·ẋ + ½ε²·ẍ) by central
/// differences of `refForward`: (y(h) − y(−h))/2h and (y(h) − 2y(0) + y(−h))/h². With h = 1e-3
/// their truncation errors are ~h²·|y'''|/6 and ~h²·|y''''|/12 (≈ 1e-7 relative here), round-off
/// ~1e-13 and ~1e-10.
public func refTaylor(_ layers: [RefLayer], p: [Double], v: [Double], x: [Double], dx: [Double], ddx: [Double],
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
public func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    let scale = max(b.map(abs).max() ?? 0, 1e-30)
    return zip(a, b).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? 0
}
