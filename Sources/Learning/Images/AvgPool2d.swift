/// Average pooling over non-overlapping factor × factor blocks of NHWC images:
/// [H, W, C] → [H/factor, W/factor, C], y[i, j, c] = mean of x over the block under (i, j).
///
/// With factor 2 this is also the strided (anti-aliased) downsampling of a U-Net-like model.
/// H and W must be multiples of the factor (checked at build). No parameters.
public final class AvgPool2d: Layer, TangentLayer, BlockResampling {
    /// Block edge (and downsampling ratio).
    public let factor: Int
    var r = ResamplingState()

    /// Pools factor × factor blocks (factor ≥ 1; 1 is the identity).
    public init(factor: Int) {
        precondition(factor >= 1, "AvgPool2d needs a factor of at least 1, got \(factor)")
        self.factor = factor
    }

    /// "AvgPool2d(2)".
    public var summary: String { "AvgPool2d(\(factor))" }

    /// An image with H and W divisible by the factor → [H/factor, W/factor, C].
    func resampledShape(of input: TensorShape, context: BuildContext) throws -> TensorShape {
        try ImageBlocks.checkDivisible(input, factor: factor, layer: summary, context: context)
        return .image(height: input.height / factor, width: input.width / factor, channels: input.channels)
    }

    /// Block means of x.
    func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int) {
        ImageBlocks.sum(fine: x, into: y, rows: rows, fineHeight: r.input.height, fineWidth: r.input.width,
                        channels: r.input.channels, factor: factor, scale: 1 / Float(factor * factor))
    }

    /// dy / factor² spread over each block.
    func applyAdjoint(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, rows: Int) {
        ImageBlocks.spread(coarse: dy, into: dx, rows: rows, fineHeight: r.input.height, fineWidth: r.input.width,
                           channels: r.input.channels, factor: factor, scale: 1 / Float(factor * factor))
    }
}
