import XCTest
@testable import Learning

/// tangentForward against differences of forward along θ + εv, x + εẋ + ½ε²ẍ.
///
/// y(ε) is a cubic polynomial in ε (bilinear in (x, W), x quadratic in ε), so the five-point
/// stencils, exact for polynomials of degree 4 (first derivative) and 5 (second), leave only
/// float32 rounding: with h = 0.5, measured ≤ 5e-7 (ẏ) and 2.6e-6 (ÿ) of the largest component;
/// the tolerance is 2e-5.
final class ConvTangentTests: XCTestCase {
    static let tolerance = 2e-5

    func forward(_ conv: Conv2d, _ store: ParameterStore, params: [Float], x: [Float], rows: Int) -> [Double] {
        store.values = params
        let n = rows * conv.geometry!.outputElements
        return x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: conv.forward($0.baseAddress!, rows: rows), count: n)) }
            .map(Double.init)
    }

    func check(_ c: ConvCase, _ backend: Conv2d.Backend, batch: Int, rows: Int) throws {
        let (conv, store) = try c.layer(backend, batch: batch)
        let theta = store.values, m = rows * c.inputElements
        let v = normals(store.count, seed: 31), x = normals(m, seed: 32)
        let xd = normals(m, seed: 33), xdd = normals(m, seed: 34)
        let (y, dy, ddy) = v.withUnsafeBufferPointer { vp in
            x.withUnsafeBufferPointer { xp in
                xd.withUnsafeBufferPointer { dp in
                    xdd.withUnsafeBufferPointer { ddp in
                        let r = conv.tangentForward(xp.baseAddress!, dp.baseAddress!, ddp.baseAddress!,
                                                    direction: vp.baseAddress!, rows: rows)
                        let n = rows * c.outputElements
                        return (Array(UnsafeBufferPointer(start: r.y, count: n)), Array(UnsafeBufferPointer(start: r.dy, count: n)),
                                Array(UnsafeBufferPointer(start: r.ddy!, count: n)))
                    }
                }
            }
        }
        func at(_ e: Float) -> [Double] {
            let p = zip(theta, v).map { $0 + e * $1 }
            let xe = (0 ..< m).map { x[$0] + e * xd[$0] + 0.5 * e * e * xdd[$0] }
            return forward(conv, store, params: p, x: xe, rows: rows)
        }
        let h: Float = 0.5, hd = Double(h)
        let (m2, m1, z, p1, p2) = (at(-2 * h), at(-h), at(0), at(h), at(2 * h))
        let first = (0 ..< z.count).map { (m2[$0] - 8 * m1[$0] + 8 * p1[$0] - p2[$0]) / (12 * hd) }
        let second = (0 ..< z.count).map { (-m2[$0] + 16 * m1[$0] - 30 * z[$0] + 16 * p1[$0] - p2[$0]) / (12 * hd * hd) }
        let what = "\(c) \(backend) rows \(rows)/\(batch)"
        XCTAssertLessThanOrEqual(relativeError(y, z), 1e-6, "\(what): y")
        XCTAssertLessThanOrEqual(relativeError(dy, first), Self.tolerance, "\(what): ẏ")
        XCTAssertLessThanOrEqual(relativeError(ddy, second), Self.tolerance, "\(what): ÿ")

        // First order only: the same ẏ and no ÿ.
        store.values = theta
        let firstOnly = v.withUnsafeBufferPointer { vp in
            x.withUnsafeBufferPointer { xp in
                xd.withUnsafeBufferPointer { dp in
                    conv.tangentForward(xp.baseAddress!, dp.baseAddress!, nil, direction: vp.baseAddress!, rows: rows)
                }
            }
        }
        XCTAssertNil(firstOnly.ddy, what)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: firstOnly.dy, count: dy.count)), dy, "\(what): first order alone")
    }

    func testTangentForwardMatchesFiniteDifferences() throws {
        var cases = ConvCase.all(inputs: 4, outputs: 6)
        cases += ConvCase.all(inputs: 16, outputs: 8, initialization: .ntk(beta: 0.2))
        for c in cases {
            for backend in [Conv2d.Backend.oneDNN, .im2col] { try check(c, backend, batch: 3, rows: 3) }
        }
        try check(ConvCase.all(inputs: 4, outputs: 6)[3], .oneDNN, batch: 4, rows: 2)
    }
}
