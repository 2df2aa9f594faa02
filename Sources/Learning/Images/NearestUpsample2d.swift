/// Nearest-neighbour upsampling of NHWC images: [H, W, C] → [H·factor, W·factor, C], each pixel
/// copied into a factor × factor block. No parameters.
public final class NearestUpsample2d: Layer, TangentLayer, BlockResampling {
    /// Block edge (and upsampling ratio).
    public let factor: Int
    var r = ResamplingState()

    /// Upsamples by `factor` (≥ 1; 1 is the identity).
    public init(factor: Int) {
        precondition(factor >= 1, "NearestUpsample2d needs a factor of at least 1, got \(factor)")
        self.factor = factor
    }

    /// "NearestUpsample2d(2)".
    public var summary: String { "NearestUpsample2d(\(factor))" }

    /// Any image → [H·factor, W·factor, C] (overflow-checked).
    func resampledShape(of input: TensorShape, context: BuildContext) throws -> TensorShape {
        try ImageBlocks.checkDivisible(input, factor: 1, layer: summary, context: context)
        let (h, o1) = input.height.multipliedReportingOverflow(by: factor)
        let (w, o2) = input.width.multipliedReportingOverflow(by: factor)
        precondition(!o1 && !o2, "\(summary): upsampled size of \(input) overflows")
        return .image(height: h, width: w, channels: input.channels)
    }

    /// Every pixel copied into its block.
    func apply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, rows: Int) {
        ImageBlocks.spread(coarse: x, into: y, rows: rows, fineHeight: r.output.height, fineWidth: r.output.width,
                           channels: r.input.channels, factor: factor, scale: 1)
    }

    /// The sum of dy over each block.
    func applyAdjoint(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, rows: Int) {
        ImageBlocks.sum(fine: dy, into: dx, rows: rows, fineHeight: r.output.height, fineWidth: r.output.width,
                        channels: r.input.channels, factor: factor, scale: 1)
    }
}
