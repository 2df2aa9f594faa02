import XCTest
@testable import Learning

/// oneDNN against the im2col + SGEMM reference, same parameters, same data: forward, dx, dW, db.
///
/// Tolerance: 2e-5 of the largest reference component (float32 sums of up to 9·C products in
/// different orders; measured at most 4e-7 here). A wrong tap, flipped kernel, lost halo row or
/// missing bias shows as O(1).
final class OneDNNAgreementTests: XCTestCase {
    static let tolerance = 2e-5

    func compare(_ c: ConvCase, batch: Int, rows: Int, inputGradient: Bool = true,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let (fast, fastStore) = try c.layer(.oneDNN, batch: batch, inputGradient: inputGradient)
        let (ref, refStore) = try c.layer(.im2col, batch: batch, inputGradient: inputGradient)
        XCTAssertEqual(fastStore.values, refStore.values, "\(c): same initialisation", file: file, line: line)
        let x = normals(batch * c.inputElements, seed: 3), dy = normals(batch * c.outputElements, seed: 4)
        let a = step(fast, fastStore, x: x, dy: dy, rows: rows, inputGradient: inputGradient)
        let b = step(ref, refStore, x: x, dy: dy, rows: rows, inputGradient: inputGradient)
        let what = "\(c) rows \(rows)/\(batch)"
        XCTAssertLessThanOrEqual(relativeError(a.y, b.y), Self.tolerance, "\(what): forward", file: file, line: line)
        if inputGradient {
            XCTAssertLessThanOrEqual(relativeError(a.dx, b.dx), Self.tolerance, "\(what): dx", file: file, line: line)
        }
        let w = fast.weight.range, bias = fast.bias.range
        XCTAssertLessThanOrEqual(relativeError(Array(a.gradients[w]), Array(b.gradients[w])), Self.tolerance,
                                 "\(what): dW", file: file, line: line)
        XCTAssertLessThanOrEqual(relativeError(Array(a.gradients[bias]), Array(b.gradients[bias])), Self.tolerance,
                                 "\(what): db", file: file, line: line)
    }

    func testEveryKernelStrideAndPaddingAgreesWithIm2col() throws {
        for c in ConvCase.all(inputs: 3, outputs: 5) { try compare(c, batch: 3, rows: 3) }
    }

    /// 16 → 32 channels: oneDNN picks blocked weight layouts, so the reorders are exercised.
    func testBlockedLayoutsAgreeWithIm2col() throws {
        for c in ConvCase.all(inputs: 16, outputs: 32) { try compare(c, batch: 2, rows: 2) }
    }

    /// NTK: the scale s_w goes through the weight reorder, s_b through the bias copy.
    func testNTKScalingAgreesWithIm2col() throws {
        for c in ConvCase.all(inputs: 16, outputs: 8, initialization: .ntk(beta: 0.3)) { try compare(c, batch: 2, rows: 2) }
    }

    /// A last batch smaller than the built one gets its own primitives; the full batch still works after.
    func testSmallerLastBatchAgrees() throws {
        for c in ConvCase.all(inputs: 4, outputs: 8) {
            try compare(c, batch: 5, rows: 2)
            let (fast, store) = try c.layer(.oneDNN, batch: 5)
            let x = normals(5 * c.inputElements, seed: 3), dy = normals(5 * c.outputElements, seed: 4)
            let full = step(fast, store, x: x, dy: dy, rows: 5)
            _ = step(fast, store, x: x, dy: dy, rows: 3)
            let again = step(fast, store, x: x, dy: dy, rows: 5)
            XCTAssertEqual(full.y, again.y, "\(c): the full batch after a partial one")
            XCTAssertEqual(full.gradients, again.gradients, "\(c): the full batch after a partial one")
        }
    }

    /// The first layer of a model skips backward-data and still gets dW, db.
    func testOmittedInputGradientStillGivesParameterGradients() throws {
        for c in ConvCase.all(inputs: 3, outputs: 4) { try compare(c, batch: 2, rows: 2, inputGradient: false) }
    }

    /// Backward adds into the store: two backward passes give twice the gradient.
    func testBackwardAccumulatesIntoTheStore() throws {
        for backend in [Conv2d.Backend.oneDNN, .im2col] {
            let c = ConvCase(height: 6, width: 6, inputs: 16, outputs: 16, kernel: 3, stride: 1, padding: .periodic)
            let (conv, store) = try c.layer(backend, batch: 2)
            let x = normals(2 * c.inputElements, seed: 5), dy = normals(2 * c.outputElements, seed: 6)
            let once = step(conv, store, x: x, dy: dy, rows: 2).gradients
            dy.withUnsafeBufferPointer { _ = conv.backward($0.baseAddress!, rows: 2) }
            XCTAssertLessThanOrEqual(relativeError(store.gradients, once.map { 2 * $0 }), 1e-6, "\(backend)")
        }
    }
}
