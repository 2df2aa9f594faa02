import CounterRNG
import XCTest
@testable import Learning

/// One convolution configuration of the tests.
struct ConvCase: CustomStringConvertible {
    var height: Int, width: Int, inputs: Int, outputs: Int
    var kernel: Int, stride: Int
    var padding: Conv2d.Padding
    var initialization: Initialization = .he

    var description: String {
        "\(kernel)x\(kernel) s\(stride) \(padding) \(height)x\(width)x\(inputs)→\(outputs) \(initialization)"
    }
    var input: TensorShape { .image(height: height, width: width, channels: inputs) }
    var outHeight: Int { height / stride }
    var outWidth: Int { width / stride }
    var inputElements: Int { height * width * inputs }
    var outputElements: Int { outHeight * outWidth * outputs }

    /// Every kernel × stride × padding, on odd sizes for stride 1 and even (non-square) for stride 2.
    static func all(inputs: Int, outputs: Int, initialization: Initialization = .he) -> [ConvCase] {
        var cases: [ConvCase] = []
        for kernel in [1, 3] {
            for stride in [1, 2] {
                for padding in [Conv2d.Padding.zero, .periodic] {
                    let (h, w) = stride == 1 ? (7, 5) : (6, 10)
                    cases.append(ConvCase(height: h, width: w, inputs: inputs, outputs: outputs, kernel: kernel,
                                          stride: stride, padding: padding, initialization: initialization))
                }
            }
        }
        return cases
    }

    /// A built layer of this case (parameters from `seed`, so two backends start equal).
    func layer(_ backend: Conv2d.Backend, batch: Int, seed: UInt64 = 11, inputGradient: Bool = true) throws
        -> (Conv2d, ParameterStore) {
        let conv = Conv2d(outputs: outputs, kernel: kernel, stride: stride, padding: padding,
                          initialization: initialization, backend: backend)
        if !inputGradient { conv.omitInputGradient() }
        let store = ParameterStore()
        _ = try conv.build(input: input, context: BuildContext(batch: batch, seed: seed, store: store, path: [0]))
        return (conv, store)
    }
}

/// `count` standard normal floats from (seed, stream).
func normals(_ count: Int, seed: UInt64, stream: UInt64 = 0) -> [Float] {
    CounterRNG(seed: seed, stream: stream).normals(count).map(Float.init)
}

/// `count` integers in −m…m (as floats): sums of their products are exact in float32.
func smallIntegers(_ count: Int, max m: Int, seed: UInt64) -> [Float] {
    let rng = CounterRNG(seed: seed, stream: 99)
    return (0 ..< count).map { Float(Int(rng.uniform(at: UInt64($0)) * Double(2 * m + 1)) - m) }
}

/// Runs forward then backward of `conv` on `x`, `dy` for `rows` samples; returns y, dx (empty when
/// the input gradient is omitted) and the store's gradients.
func step(_ conv: Conv2d, _ store: ParameterStore, x: [Float], dy: [Float], rows: Int, inputGradient: Bool = true)
    -> (y: [Float], dx: [Float], gradients: [Float]) {
    store.zeroGradients()
    let g = conv.geometry!
    let y = x.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: conv.forward($0.baseAddress!, rows: rows),
                                                                  count: rows * g.outputElements)) }
    let dxp = dy.withUnsafeBufferPointer { conv.backward($0.baseAddress!, rows: rows) }
    let dx = inputGradient ? Array(UnsafeBufferPointer(start: dxp, count: rows * g.inputElements)) : []
    return (y, dx, store.gradients)
}

/// max |a − b| / max(max |b|, floor).
func relativeError(_ a: [Float], _ b: [Float], floor: Double = 1e-30) -> Double {
    precondition(a.count == b.count, "sizes \(a.count) and \(b.count)")
    let scale = max(b.map { abs(Double($0)) }.max() ?? 0, floor)
    return (zip(a, b).map { abs(Double($0) - Double($1)) }.max() ?? 0) / scale
}

func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "sizes \(a.count) and \(b.count)")
    let scale = max(b.map(abs).max() ?? 0, 1e-30)
    return (zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0) / scale
}
