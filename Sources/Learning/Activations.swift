import CLearningKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffers shared by the element-wise activations: output and input gradient, both batch × width,
/// plus the input of the last forward (its derivative needs x, or y for ReLU and Tanh).
struct ElementwiseState {
    var width = 0
    var batch = 0
    var shape = TensorShape.vector(1)
    var output = FloatBuffer(count: 0)
    var inputGradient = FloatBuffer(count: 0)
    var lastInput: UnsafePointer<Float>?
    var built = false
    /// Outputs of `tangentForward` (ActivationTangents.swift), apart from the training buffers.
    var tangent = TangentOutputs()

    /// Allocates the output and input-gradient buffers (`false`: an empty one, for a layer that
    /// returns another layer's buffer instead).
    mutating func build(input: TensorShape, batch: Int, output hasOutput: Bool = true,
                        inputGradient hasInputGradient: Bool = true) -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        built = true
        shape = input
        width = input.elements
        self.batch = batch
        output = FloatBuffer(count: hasOutput ? batch * width : 0)
        inputGradient = FloatBuffer(count: hasInputGradient ? batch * width : 0)
        return input
    }

    mutating func begin(_ x: UnsafePointer<Float>, rows: Int) -> Int {
        precondition(built && rows <= batch, "activation: \(rows) rows, built for \(batch)")
        lastInput = x
        return rows * width
    }

    func input() -> UnsafePointer<Float> {
        guard let x = lastInput else { preconditionFailure("activation backward before forward") }
        return x
    }
}

/// An element-wise activation: as wide out as in, two buffers, no parameters. The layers differ
/// only in their forward and backward formulas.
protocol ElementwiseActivation: Layer {
    /// The shared buffers.
    var s: ElementwiseState { get set }
}

extension ElementwiseActivation {
    /// Same as the input shape.
    public var outputShape: TensorShape { s.shape }
    /// Allocates the two buffers; no parameters.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        s.build(input: input, batch: context.batch)
    }
}

/// Logistic sigmoid without overflow: exp is only taken of a non-positive argument.
@inline(__always)
func stableSigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + expf(-x)) }
    let e = expf(x)
    return e / (1 + e)
}

/// max(0, x); the derivative at 0 is taken as 0.
///
/// Inside a `Sequential` (or a composite's chain) a ReLU right after a `Conv2d` is fused into it
/// when the model is built (`planReLUFusion`): the convolution applies max(0, ·) in its forward (a
/// oneDNN post-op) and masks dy in its backward, and this layer passes both through. Unfused, both
/// passes are vectorised C loops.
public final class ReLU: Layer, ElementwiseActivation {
    var s = ElementwiseState()
    /// The previous layer (a Conv2d) applies the ReLU itself; set before `build`.
    private(set) var isFused = false

    /// A ReLU of any width (the width comes from the previous layer).
    public init() {}
    /// "ReLU".
    public var summary: String { "ReLU" }

    /// Marks this ReLU as applied by the preceding convolution (see the type's documentation).
    func fuse() {
        precondition(!s.built, "ReLU.fuse must come before build")
        isFused = true
    }

    /// As the input; a fused ReLU allocates no buffers.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        s.build(input: input, batch: context.batch, output: !isFused, inputGradient: !isFused)
    }

    /// y = max(0, x); fused: x itself (the convolution's output, already max(0, ·)).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let n = s.begin(x, rows: rows)
        if isFused { return x }
        let y = s.output.pointer
        cl_relu_forward(x, y, n)
        return UnsafePointer(y)
    }

    /// dx = dy where y > 0, else 0 (from the stored output); fused: dy itself (the convolution masks it).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        if isFused { return dy }
        let dx = s.inputGradient.pointer
        cl_relu_backward(s.output.pointer, dy, dx, rows * s.width)
        return UnsafePointer(dx)
    }
}

/// tanh(x).
public final class Tanh: Layer, ElementwiseActivation {
    var s = ElementwiseState()
    /// A Tanh of any width.
    public init() {}
    /// "Tanh".
    public var summary: String { "Tanh" }
    /// y = tanh(x).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let n = s.begin(x, rows: rows), y = s.output.pointer
        for i in 0 ..< n { y[i] = tanhf(x[i]) }
        return UnsafePointer(y)
    }
    /// dx = dy·(1 − y²), from the stored output (no second tanh).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let y = s.output.pointer, dx = s.inputGradient.pointer
        for i in 0 ..< rows * s.width { dx[i] = dy[i] * (1 - y[i] * y[i]) }
        return UnsafePointer(dx)
    }
}

/// GELU in the tanh approximation (Hendrycks & Gimpel; the form of GPT-2 and of PyTorch's
/// `gelu(approximate="tanh")`): 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))).
public final class GELU: Layer, ElementwiseActivation {
    var s = ElementwiseState()
    static let c: Float = 0.797_884_560_802_865_4  // sqrt(2/π)
    static let a: Float = 0.044715
    /// A GELU of any width.
    public init() {}
    /// "GELU(tanh)".
    public var summary: String { "GELU(tanh)" }
    /// y = 0.5·x·(1 + tanh(u)), u = c·(x + a·x³), by the vectorised C kernel (as x·σ(2u)).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let n = s.begin(x, rows: rows), y = s.output.pointer
        cl_gelu_forward(x, y, n)
        return UnsafePointer(y)
    }
    /// dy/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·c·(1 + 3a·x²), t = tanh(u) (recomputed from x, in C).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let x = s.input(), dx = s.inputGradient.pointer
        cl_gelu_backward(x, dy, dx, rows * s.width)
        return UnsafePointer(dx)
    }
}

/// SiLU (swish): x·σ(x).
public final class SiLU: Layer, ElementwiseActivation {
    var s = ElementwiseState()
    /// A SiLU of any width.
    public init() {}
    /// "SiLU".
    public var summary: String { "SiLU" }
    /// y = x·σ(x), σ evaluated without overflow (vectorised C kernel).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let n = s.begin(x, rows: rows), y = s.output.pointer
        cl_silu_forward(x, y, n)
        return UnsafePointer(y)
    }
    /// dy/dx = σ(x)·(1 + x·(1 − σ(x))) (vectorised C kernel).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let x = s.input(), dx = s.inputGradient.pointer
        cl_silu_backward(x, dy, dx, rows * s.width)
        return UnsafePointer(dx)
    }
}
