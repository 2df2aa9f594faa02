/// Buffers and shapes shared by the parameter-free block resampling layers (average pooling,
/// nearest upsampling): output and input-gradient buffers for the built batch, tangent outputs.
struct ResamplingState {
    var input = TensorShape.vector(1)
    var output = TensorShape.vector(1)
    var batch = 0
    var built = false
    var computesInputGradient = true
    var outputBuffer = FloatBuffer(count: 0)
    var inputGradient = FloatBuffer(count: 0)
    var tangent = TangentOutputs()
}

/// A linear, parameter-free map between NHWC images (y = A x). Such a layer differs from its
/// sibling only in A, its adjoint Aᵀ and the output shape; forward, backward (dx = Aᵀ dy) and the
/// tangent pass (A x, A ẋ, A ẍ) are shared here.
protocol BlockResampling: Layer, TangentLayer {
    /// The shared state.
    var r: ResamplingState { get set }
    /// Checks `input` (throwing through `context`) and returns the output shape.
    func resampledShape(of input: TensorShape, context: BuildContext) throws -> TensorShape
    /// y = A x for `rows` samples.
    func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int)
    /// dx = Aᵀ dy for `rows` samples.
    func applyAdjoint(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, rows: Int)
}

extension BlockResampling {
    /// The resampled shape; meaningful after `build`.
    public var outputShape: TensorShape { r.output }

    /// Skips dx in `backward` (nobody reads it).
    public func omitInputGradient() {
        precondition(!r.built, "omitInputGradient must come before build")
        r.computesInputGradient = false
    }

    /// Checks the input and allocates output and dx; no parameters.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!r.built, "a layer instance belongs to one model; it is already built")
        let output = try resampledShape(of: input, context: context)
        r.built = true
        r.input = input
        r.output = output
        r.batch = context.batch
        r.outputBuffer = FloatBuffer(count: r.batch * output.elements)
        r.inputGradient = FloatBuffer(count: r.computesInputGradient ? r.batch * input.elements : 0)
        return output
    }

    /// y = A x.
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(r.built && rows <= r.batch, "\(summary).forward: \(rows) rows, built for \(r.batch)")
        apply(x, into: r.outputBuffer.pointer, rows: rows)
        return UnsafePointer(r.outputBuffer.pointer)
    }

    /// dx = Aᵀ dy (skipped after `omitInputGradient()`).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(r.built && rows <= r.batch, "\(summary).backward: \(rows) rows, built for \(r.batch)")
        if r.computesInputGradient { applyAdjoint(dy, into: r.inputGradient.pointer, rows: rows) }
        return UnsafePointer(r.inputGradient.pointer)
    }

    /// Linear and parameter-free: (A x, A ẋ, A ẍ).
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        precondition(r.built && rows <= r.batch, "\(summary).tangentForward: \(rows) rows, built for \(r.batch)")
        let out = r.tangent.prepare(count: r.batch * r.output.elements, secondOrder: ddx != nil)
        apply(x, into: out.y, rows: rows)
        apply(dx, into: out.dy, rows: rows)
        if let ddx, let ddy = out.ddy { apply(ddx, into: ddy, rows: rows) }
        return (UnsafePointer(out.y), UnsafePointer(out.dy), out.ddy.map { UnsafePointer($0) })
    }
}
