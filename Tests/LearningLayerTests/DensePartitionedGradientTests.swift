import XCTest
@testable import Learning

/// `Dense.weightGradient` over staged rows against the ordinary backward: the gradient a node's
/// ranks compute slice by slice must be the one backward adds up.
final class DensePartitionedGradientTests: XCTestCase {
    /// A model of two Dense layers (5 → 7 → 3, NTK scaling on the second so both scales are used),
    /// batch 6, with dL/dy given; returns the model and the reference gradient of every parameter.
    private func reference() throws -> (Sequential, x: [Float], dy: [Float], gradient: [Float]) {
        let model = try Sequential(inputFeatures: 5, batch: 6, seed: 3, inputGradient: true,
                                   [Dense(outputs: 7), Tanh(), Dense(outputs: 3, initialization: .ntk(beta: 0.3))])
        let x = (0 ..< 30).map { Float(sin(Double($0) * 0.7)) }
        let dy = (0 ..< 18).map { Float(cos(Double($0) * 1.3)) }
        x.withUnsafeBufferPointer { _ = model.forward($0, rows: 6) }
        model.store.zeroGradients()
        dy.withUnsafeBufferPointer { _ = model.backward($0, rows: 6) }
        return (model, x, dy, model.store.gradients)
    }

    func testSlicesOverStagedRowsEqualBackward() throws {
        let (model, x, dy, expected) = try reference()
        let layers = model.layers.compactMap { $0 as? Dense }
        let capacity = 6
        // Staging for each layer; two "ranks" stage rows 0..<4 and 4..<6 in two backward passes.
        let inputs = layers.map { UnsafeMutablePointer<Float>.allocate(capacity: capacity * $0.inputs) }
        let grads = layers.map { UnsafeMutablePointer<Float>.allocate(capacity: capacity * $0.outputs) }
        defer { (inputs + grads).forEach { $0.deallocate() } }
        for (first, count) in [(0, 4), (4, 2)] {
            for (i, d) in layers.enumerated() {
                d.weightGradientStaging = WeightGradientStaging(inputs: inputs[i], outputGradients: grads[i], rowOffset: first)
            }
            let before = model.store.gradients
            Array(x[first * 5 ..< (first + count) * 5]).withUnsafeBufferPointer { _ = model.forward($0, rows: count) }
            Array(dy[first * 3 ..< (first + count) * 3]).withUnsafeBufferPointer { _ = model.backward($0, rows: count) }
            XCTAssertEqual(model.store.gradients, before, "a staged backward adds nothing to the gradients")
        }
        layers.forEach { $0.weightGradientStaging = nil }
        // Slices that start and end inside rows, span layers, cover a single element, a bias only, everything.
        let total = model.store.count
        let w0 = layers[0].weight.range, b1 = layers[1].bias.range
        let slices: [Range<Int>] = [0 ..< total, 3 ..< 9, 0 ..< 5, w0.upperBound - 2 ..< b1.upperBound - 1, 17 ..< 18,
                                    b1, layers[1].weight.lowerBoundSlice(4)]
        for slice in slices {
            var out = [Float](repeating: .nan, count: total)
            out.withUnsafeMutableBufferPointer { g in
                for (i, d) in layers.enumerated() {
                    let range = model.parameterRanges[model.layers.firstIndex { $0 === d }!]
                    d.weightGradient(elements: range.clamped(to: slice), rows: 6,
                                     staging: WeightGradientStaging(inputs: inputs[i], outputGradients: grads[i], rowOffset: 0),
                                     into: g.baseAddress!)
                }
            }
            for e in 0 ..< total {
                if slice.contains(e) {
                    XCTAssertEqual(out[e], expected[e], accuracy: 1e-6 * max(1, abs(expected[e])), "element \(e) of slice \(slice)")
                } else {
                    XCTAssertTrue(out[e].isNaN, "element \(e) outside slice \(slice) was written")
                }
            }
        }
    }
}

private extension ParameterView {
    /// The first `n` elements of the tensor.
    func lowerBoundSlice(_ n: Int) -> Range<Int> { offset ..< offset + n }
}
