import XCTest
@testable import CounterRNG

final class PhiloxTests: XCTestCase {
    func eq(_ a: (UInt32, UInt32, UInt32, UInt32), _ b: (UInt32, UInt32, UInt32, UInt32), file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual([a.0, a.1, a.2, a.3], [b.0, b.1, b.2, b.3], file: file, line: line)
    }

    /// Random123's known-answer vectors for philox4x32_R(10).
    func testKnownAnswerVectors() {
        eq(Philox4x32.block(counter: (0, 0, 0, 0), key: (0, 0)), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8))
        eq(Philox4x32.block(counter: (.max, .max, .max, .max), key: (.max, .max)), (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd))
        eq(Philox4x32.block(counter: (0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), key: (0xa4093822, 0x299f31d0)),
           (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1))
    }

    func testUniformMomentsAndRange() {
        let rng = CounterRNG(seed: 42, stream: 3)
        let n = 1_000_000
        let u = rng.uniforms(n)
        XCTAssertTrue(u.allSatisfy { $0 > 0 && $0 < 1 })
        let mean = u.reduce(0, +) / Double(n)
        let variance = u.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0.5, accuracy: 5 * (1.0 / 12 / Double(n)).squareRoot())
        XCTAssertEqual(variance, 1.0 / 12, accuracy: 5 * (1.0 / 180 / Double(n)).squareRoot())
    }

    func testNormalMoments() {
        let z = CounterRNG(seed: 7).normals(1_000_000)
        let n = Double(z.count)
        let mean = z.reduce(0, +) / n
        let m2 = z.map { $0 * $0 }.reduce(0, +) / n
        let m4 = z.map { $0 * $0 * $0 * $0 }.reduce(0, +) / n
        XCTAssertEqual(mean, 0, accuracy: 5 / n.squareRoot())
        XCTAssertEqual(m2, 1, accuracy: 5 * (2 / n).squareRoot())
        XCTAssertEqual(m4, 3, accuracy: 5 * (96 / n).squareRoot())   // Var(z⁴) = 105 − 9
    }

    func testBulkEqualsRandomAccessAndBlocksDoNotMatter() {
        let rng = CounterRNG(seed: 99, stream: 5)
        let whole = rng.normals(1001, startingAt: 17)
        // Every element, bit for bit (fillNormal computes each pair's Philox block once).
        XCTAssertEqual(whole, (0 ..< 1001).map { rng.normal(at: 17 + UInt64($0)) })
        XCTAssertEqual(rng.normals(8, startingAt: 0), (0 ..< 8).map { rng.normal(at: UInt64($0)) })
        // Split the same index range into uneven blocks, as ranks would: identical numbers.
        var pieces: [Double] = []
        var start = 0
        for size in [333, 1, 250, 417] {
            pieces += rng.normals(size, startingAt: 17 + UInt64(start))
            start += size
        }
        XCTAssertEqual(pieces, whole)
        XCTAssertEqual(rng.uniforms(10, startingAt: 3), (3 ..< 13).map { rng.uniform(at: UInt64($0)) })
    }

    func testStreamsAndSeedsDiffer() {
        let a = CounterRNG(seed: 1, stream: 0).uniforms(100)
        let b = CounterRNG(seed: 1, stream: 1).uniforms(100)
        let c = CounterRNG(seed: 2, stream: 0).uniforms(100)
        XCTAssertNotEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a, CounterRNG(seed: 1, stream: 0).uniforms(100))
    }
}
