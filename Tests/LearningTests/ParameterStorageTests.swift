import XCTest
@testable import Learning

/// The parameter store on memory it does not own (as the trainer's node shared memory), and the
/// gradient sums over several ranks' buffers.
final class ParameterStorageTests: XCTestCase {
    private func model(seed: UInt64) throws -> Sequential {
        try Sequential(inputFeatures: 5, batch: 4, seed: seed, [Dense(outputs: 7), Tanh(), Dense(outputs: 3)])
    }

    func testExternalStorageGivesTheSameForwardAndBackward() throws {
        let own = try model(seed: 3), moved = try model(seed: 3)
        let n = moved.store.count
        let values = UnsafeMutablePointer<Float>.allocate(capacity: n), gradients = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { values.deallocate(); gradients.deallocate() }
        gradients.update(repeating: .nan, count: n)
        moved.store.useExternalStorage(values: values, gradients: gradients, copyValues: true)
        XCTAssertTrue(moved.store.usesExternalStorage)
        XCTAssertEqual(moved.store.values, own.store.values, "the parameters were copied in")
        XCTAssertEqual(moved.store.gradients, [Float](repeating: 0, count: n), "the gradients start at zero")

        let x: [Float] = (0 ..< 20).map { Float($0) / 10 - 1 }
        let dy: [Float] = (0 ..< 12).map { Float($0 % 5) / 4 - 0.5 }
        for m in [own, moved] {
            _ = x.withUnsafeBufferPointer { m.forward($0, rows: 4) }
            _ = dy.withUnsafeBufferPointer { m.backward($0, rows: 4) }
        }
        XCTAssertEqual(moved.store.gradients, own.store.gradients, "backward wrote into the external buffer")
        XCTAssertEqual(Array(UnsafeBufferPointer(start: gradients, count: n)), own.store.gradients)

        // Writing through `values` copies into the external memory; back to own storage keeps everything.
        moved.store.values[2] = 42
        XCTAssertEqual(values[2], 42)
        moved.store.useOwnStorage()
        XCTAssertFalse(moved.store.usesExternalStorage)
        values[2] = -1  // the store no longer looks at it
        XCTAssertEqual(moved.store.values[2], 42)
        XCTAssertEqual(moved.store.gradients, own.store.gradients)
    }

    func testSharedValuesAreOneBuffer() throws {
        // Two stores on ONE parameter buffer (as the ranks of a node): a write through one is seen by the other.
        let a = try model(seed: 1), b = try model(seed: 2)
        let n = a.store.count
        let values = UnsafeMutablePointer<Float>.allocate(capacity: n), ga = UnsafeMutablePointer<Float>.allocate(capacity: n),
            gb = UnsafeMutablePointer<Float>.allocate(capacity: n)
        defer { values.deallocate(); ga.deallocate(); gb.deallocate() }
        a.store.useExternalStorage(values: values, gradients: ga, copyValues: true)
        b.store.useExternalStorage(values: values, gradients: gb, copyValues: false)
        XCTAssertEqual(b.store.values, a.store.values, "b sees a's parameters")
        a.store.withUnsafeMutableValues { $0[0] = 7 }
        XCTAssertEqual(b.store.withUnsafeValues { $0[0] }, 7)
    }

    func testSumOfSourcesInOrderAndInPlace() {
        let n = 2500  // not a multiple of the kernel's block
        var buffers: [[Float]] = (0 ..< 3).map { k in (0 ..< n).map { Float($0 % 97) * 0.01 + Float(k) } }
        let expected = (0 ..< n).map { buffers[0][$0] + buffers[1][$0] + buffers[2][$0] }
        // Into the middle source (the destination is one of the sources).
        let pointers = (0 ..< 3).map { k in buffers[k].withUnsafeMutableBufferPointer { $0.baseAddress! } }
        pointers.map { UnsafePointer($0) }.withUnsafeBufferPointer { GradientSum.sum($0, into: pointers[1], count: n) }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: pointers[1], count: n)), expected)
        _ = buffers  // keeps the arrays (and the pointers into them) alive
    }

    func testSumClearingZeroesEverySource() {
        let n = 1000
        let sources = (0 ..< 2).map { k -> UnsafeMutablePointer<Float> in
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n)
            for i in 0 ..< n { p[i] = Float(i) + 0.5 * Float(k) }
            return p
        }
        defer { sources.forEach { $0.deallocate() } }
        var out = [Float](repeating: .nan, count: n)
        out.withUnsafeMutableBufferPointer { o in
            sources.withUnsafeBufferPointer { GradientSum.sumClearing($0, into: o.baseAddress!, count: n) }
        }
        XCTAssertEqual(out, (0 ..< n).map { 2 * Float($0) + 0.5 })
        for s in sources { XCTAssertTrue(UnsafeBufferPointer(start: s, count: n).allSatisfy { $0 == 0 }) }
    }
}
