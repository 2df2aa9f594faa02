import XCTest
@testable import Learning

/// Periodic padding is convolution on the torus: shifting the input field by (a, b) pixels (with
/// wrap-around) shifts the output by (a/s, b/s). With integer data every sum is exact, so the
/// check is equality, for every sample and channel.
final class PeriodicPaddingTests: XCTestCase {
    /// x rolled by (a, b): out[i][j] = x[(i − a) mod H][(j − b) mod W], per sample, all channels.
    func roll(_ x: [Float], samples: Int, height h: Int, width w: Int, channels c: Int, by a: Int, _ b: Int) -> [Float] {
        var out = x
        for n in 0 ..< samples {
            for i in 0 ..< h {
                for j in 0 ..< w {
                    let si = ((i - a) % h + h) % h, sj = ((j - b) % w + w) % w
                    for k in 0 ..< c { out[((n * h + i) * w + j) * c + k] = x[((n * h + si) * w + sj) * c + k] }
                }
            }
        }
        return out
    }

    func testShiftedFieldGivesShiftedOutput() throws {
        for backend in [Conv2d.Backend.oneDNN, .im2col] {
            for c in ConvCase.all(inputs: 16, outputs: 8) where c.padding == .periodic {
                let rows = 2
                let (conv, store) = try c.layer(backend, batch: rows)
                let ints = smallIntegers(store.count, max: 2, seed: 8)
                store.values.withUnsafeMutableBufferPointer { v in for i in 0 ..< v.count { v[i] = ints[i] } }
                let x = smallIntegers(rows * c.inputElements, max: 3, seed: 9)
                let dy = [Float](repeating: 0, count: rows * c.outputElements)
                let y = step(conv, store, x: x, dy: dy, rows: rows).y
                // Shifts that are multiples of the stride, including a full wrap in one direction.
                for (a, b) in [(2, 4), (c.height - c.stride, 2 * c.stride), (c.height, 0)] {
                    let shifted = roll(x, samples: rows, height: c.height, width: c.width, channels: c.inputs, by: a, b)
                    let ys = step(conv, store, x: shifted, dy: dy, rows: rows).y
                    let expected = roll(y, samples: rows, height: c.outHeight, width: c.outWidth, channels: c.outputs,
                                        by: a / c.stride, b / c.stride)
                    XCTAssertEqual(ys, expected, "\(c) \(backend): shift by (\(a), \(b))")
                }
            }
        }
    }

    /// Zero padding is NOT equivariant under wrap-around shifts (so the test above can fail).
    func testZeroPaddingBreaksTheSymmetry() throws {
        let c = ConvCase(height: 7, width: 5, inputs: 3, outputs: 2, kernel: 3, stride: 1, padding: .zero)
        let (conv, store) = try c.layer(.oneDNN, batch: 1)
        let x = smallIntegers(c.inputElements, max: 3, seed: 9), dy = [Float](repeating: 0, count: c.outputElements)
        let y = step(conv, store, x: x, dy: dy, rows: 1).y
        let ys = step(conv, store, x: roll(x, samples: 1, height: 7, width: 5, channels: 3, by: 2, 1), dy: dy, rows: 1).y
        XCTAssertNotEqual(ys, roll(y, samples: 1, height: 7, width: 5, channels: 2, by: 2, 1))
    }
}
