/// Average pooling over non-overlapping factor × factor blocks of NHWC images:
/// [H, W, C] → [H/factor, W/factor, C], y[i, j, c] = mean of x over the block under (i, j).
///
/// With factor 2 this is also the strided (anti-aliased) downsampling of a U-Net-like model.
/// H and W must be multiples of the factor (checked at build). No parameters.
public final class AvgPool2d: Layer, TangentLayer {
    /// Block edge (and downsampling ratio).
    public let factor: Int
    private var input = TensorShape.vector(1)
    private var output = TensorShape.vector(1)
    private var batch = 0
    private var built = false
    private var computesInputGradient = true
    private var outputBuffer = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var tangent = TangentOutputs()

    /// Pools factor × factor blocks (factor ≥ 1; 1 is the identity).
    public init(factor: Int) {
        precondition(factor >= 1, "AvgPool2d needs a factor of at least 1, got \(factor)")
        self.factor = factor
    }

    /// "AvgPool2d(2)".
    public var summary: String { "AvgPool2d(\(factor))" }
    /// [H/factor, W/factor, C]; meaningful after `build`.
    public var outputShape: TensorShape { output }

    /// Skips dx in `backward` (nobody reads it).
    public func omitInputGradient() {
        precondition(!built, "omitInputGradient must come before build")
        computesInputGradient = false
    }

    /// Checks for an image with H and W divisible by the factor; allocates output and dx.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        try ImageBlocks.checkDivisible(input, factor: factor, layer: summary, context: context)
        built = true
        self.input = input
        output = .image(height: input.height / factor, width: input.width / factor, channels: input.channels)
        batch = context.batch
        outputBuffer = FloatBuffer(count: batch * output.elements)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * input.elements : 0)
        return output
    }

    private func pool(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int) {
        ImageBlocks.sum(fine: x, into: y, rows: rows, fineHeight: input.height, fineWidth: input.width,
                        channels: input.channels, factor: factor, scale: 1 / Float(factor * factor))
    }

    /// Block means of x.
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "AvgPool2d.forward: \(rows) rows, built for \(batch)")
        pool(x, into: outputBuffer.pointer, rows: rows)
        return UnsafePointer(outputBuffer.pointer)
    }

    /// dx = dy / factor² spread over each block (skipped after `omitInputGradient()`).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "AvgPool2d.backward: \(rows) rows, built for \(batch)")
        if computesInputGradient {
            ImageBlocks.spread(coarse: dy, into: inputGradient.pointer, rows: rows, fineHeight: input.height,
                               fineWidth: input.width, channels: input.channels, factor: factor,
                               scale: 1 / Float(factor * factor))
        }
        return UnsafePointer(inputGradient.pointer)
    }

    /// Linear and parameter-free: (pool x, pool ẋ, pool ẍ).
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        precondition(built && rows <= batch, "AvgPool2d.tangentForward: \(rows) rows, built for \(batch)")
        let out = tangent.prepare(count: batch * output.elements, secondOrder: ddx != nil)
        pool(x, into: out.y, rows: rows)
        pool(dx, into: out.dy, rows: rows)
        if let ddx, let ddy = out.ddy { pool(ddx, into: ddy, rows: rows) }
        return (UnsafePointer(out.y), UnsafePointer(out.dy), out.ddy.map { UnsafePointer($0) })
    }
}
