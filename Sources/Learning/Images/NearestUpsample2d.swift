/// Nearest-neighbour upsampling of NHWC images: [H, W, C] → [H·factor, W·factor, C], each pixel
/// copied into a factor × factor block. No parameters.
public final class NearestUpsample2d: Layer, TangentLayer {
    /// Block edge (and upsampling ratio).
    public let factor: Int
    private var input = TensorShape.vector(1)
    private var output = TensorShape.vector(1)
    private var batch = 0
    private var built = false
    private var computesInputGradient = true
    private var outputBuffer = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var tangent = TangentOutputs()

    /// Upsamples by `factor` (≥ 1; 1 is the identity).
    public init(factor: Int) {
        precondition(factor >= 1, "NearestUpsample2d needs a factor of at least 1, got \(factor)")
        self.factor = factor
    }

    /// "NearestUpsample2d(2)".
    public var summary: String { "NearestUpsample2d(\(factor))" }
    /// [H·factor, W·factor, C]; meaningful after `build`.
    public var outputShape: TensorShape { output }

    /// Skips dx in `backward` (nobody reads it).
    public func omitInputGradient() {
        precondition(!built, "omitInputGradient must come before build")
        computesInputGradient = false
    }

    /// Checks for an image sample; allocates output and dx.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        try ImageBlocks.checkDivisible(input, factor: 1, layer: summary, context: context)
        let (h, o1) = input.height.multipliedReportingOverflow(by: factor)
        let (w, o2) = input.width.multipliedReportingOverflow(by: factor)
        precondition(!o1 && !o2, "\(summary): upsampled size of \(input) overflows")
        built = true
        self.input = input
        output = .image(height: h, width: w, channels: input.channels)
        batch = context.batch
        outputBuffer = FloatBuffer(count: batch * output.elements)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * input.elements : 0)
        return output
    }

    private func upsample(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int) {
        ImageBlocks.spread(coarse: x, into: y, rows: rows, fineHeight: output.height, fineWidth: output.width,
                           channels: input.channels, factor: factor, scale: 1)
    }

    /// Copies every pixel into its block.
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "NearestUpsample2d.forward: \(rows) rows, built for \(batch)")
        upsample(x, into: outputBuffer.pointer, rows: rows)
        return UnsafePointer(outputBuffer.pointer)
    }

    /// dx = the sum of dy over each block (skipped after `omitInputGradient()`).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "NearestUpsample2d.backward: \(rows) rows, built for \(batch)")
        if computesInputGradient {
            ImageBlocks.sum(fine: dy, into: inputGradient.pointer, rows: rows, fineHeight: output.height,
                            fineWidth: output.width, channels: input.channels, factor: factor, scale: 1)
        }
        return UnsafePointer(inputGradient.pointer)
    }

    /// Linear and parameter-free: (up x, up ẋ, up ẍ).
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        precondition(built && rows <= batch, "NearestUpsample2d.tangentForward: \(rows) rows, built for \(batch)")
        let out = tangent.prepare(count: batch * output.elements, secondOrder: ddx != nil)
        upsample(x, into: out.y, rows: rows)
        upsample(dx, into: out.dy, rows: rows)
        if let ddx, let ddy = out.ddy { upsample(ddx, into: ddy, rows: rows) }
        return (UnsafePointer(out.y), UnsafePointer(out.dy), out.ddy.map { UnsafePointer($0) })
    }
}
