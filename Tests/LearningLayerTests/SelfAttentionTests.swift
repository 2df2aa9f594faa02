import CLearningKernels
import Foundation
import XCTest
@testable import Learning
import LearningTestSupport

/// SelfAttention2d: gradients against central differences (one and two heads), permutation
/// equivariance over the positions, and the softmax kernel against its definition.
final class SelfAttentionTests: XCTestCase {
    func testGradients() throws {
        var one = try FloatGradientCheck([SelfAttention2d(heads: 1, groups: 2)],
                                         input: .image(height: 3, width: 2, channels: 4), rows: 2)
        one.check("SelfAttention2d, 1 head")
        var two = try FloatGradientCheck([Conv2d(outputs: 4, kernel: 1), SelfAttention2d(heads: 2, groups: 1)],
                                         input: .image(height: 2, width: 4, channels: 3), rows: 2)
        two.check("SelfAttention2d, 2 heads")
    }

    /// No position encoding: y(x∘π) = y(x)∘π for any permutation π of the H·W positions.
    func testPermutingPositionsPermutesOutputs() throws {
        let (h, w, c) = (4, 4, 4), n = h * w
        let model = try Sequential(input: .image(height: h, width: w, channels: c), batch: 2, seed: 3,
                                   [SelfAttention2d(heads: 2, groups: 2)])
        model.store.values = testValues(model.store.count, seed: 9, scale: 0.5)
        let x = testValues(2 * n * c, seed: 11, scale: 2)
        let y = Array(model.forward(x, rows: 2))
        let perm = (0 ..< n).map { ($0 * 7 + 3) % n }  // 7 is coprime with 16: a permutation
        func permute(_ a: [Float]) -> [Float] {
            var out = a
            for s in 0 ..< 2 { for q in 0 ..< n { for k in 0 ..< c { out[(s * n + q) * c + k] = a[(s * n + perm[q]) * c + k] } } }
            return out
        }
        let yp = Array(model.forward(permute(x), rows: 2))
        let e = assertClose(yp, permute(y).map(Double.init), tolerance: 1e-5, "attention of permuted positions")
        print("SelfAttention2d permutation: relative error \(e)")
        // And the attention does mix positions (the check above is not about a per-pixel map).
        var bumped = x
        bumped[0] += 1
        let yb = Array(model.forward(bumped, rows: 2))
        XCTAssertGreaterThan(abs(yb[(n - 1) * c] - y[(n - 1) * c]), 1e-4, "a change at position 0 reaches the last position")
    }

    func testSoftmaxKernel() {
        // Large logits: the row maximum is subtracted, nothing overflows.
        var x: [Float] = [1000, 1001, 999, 0, 1, 2, 3, 4, 5, 6, -3]
        let rows = [Array(x[0 ..< 3]), Array(x[3 ..< 11])]
        cl_softmax_rows(&x[0], 1, 3)
        x.withUnsafeMutableBufferPointer { cl_softmax_rows($0.baseAddress! + 3, 1, 8) }
        for (r, offset) in zip(rows, [0, 3]) {
            let m = r.max()!, e = r.map { exp(Double($0 - m)) }, s = e.reduce(0, +)
            for j in r.indices { XCTAssertEqual(Double(x[offset + j]), e[j] / s, accuracy: 1e-6) }
        }
    }
}
