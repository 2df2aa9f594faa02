/// The residual block of a diffusion U-Net (Ho et al. 2020), on NHWC images, conditioned by the
/// time embedding of its model:
///   h = Conv3×3(SiLU(GroupNorm(x))) + Dense(e)        (the projection added to every pixel)
///   y = skip(x) + Conv3×3(SiLU(GroupNorm(h)))
/// e the per-sample embedding in `conditioning` (rows × E), Dense(E → outputs) one value per
/// output channel, skip the identity when the channel count is kept and a 1×1 convolution
/// otherwise. Both 3×3 convolutions are periodic, so the block commutes with every periodic shift
/// of its input. Composed of existing layers: GroupNorm, SiLU, Conv2d, Dense.
///
/// Parameters under the block's path: 0.* the first GroupNorm–SiLU–Conv, 1.* the time projection,
/// 2.* the second GroupNorm–SiLU–Conv, 3.0.* the 1×1 skip (only when the channels change).
/// Backward adds dL/de into `conditioning` (the owner runs the embedding's backward after).
///
/// `zeroInitialized` (DDPM's choice) starts the second convolution's weight and bias at zero, so
/// the block begins as its skip and a deep stack trains from a well-scaled identity.
public final class ResidualBlock: Layer {
    /// Output channels.
    public let outputs: Int
    /// GroupNorm groups of both normalisations (must divide the input and output channels).
    public let groups: Int
    /// The model's shared time embedding.
    public let conditioning: TimeConditioning
    /// Whether the second convolution starts at zero.
    public let zeroInitialized: Bool
    private var first: LayerChain
    private let projection: Dense
    private var second: LayerChain
    private var skip: LayerChain
    private var shape = TensorShape.vector(1)
    private var inputChannels = 0
    private var batch = 0
    private var built = false
    private var computesInputGradient = true
    private var projectionGradient = FloatBuffer(count: 0)  // rows × outputs: Σ over pixels of dL/dh

    /// A block to `outputs` channels with `groups` GroupNorm groups, reading `conditioning`.
    public init(outputs: Int, groups: Int, conditioning: TimeConditioning, zeroInitialized: Bool = false) {
        precondition(outputs > 0, "ResidualBlock needs at least one output channel")
        self.outputs = outputs
        self.groups = groups
        self.conditioning = conditioning
        self.zeroInitialized = zeroInitialized
        first = LayerChain([GroupNorm(groups: groups), SiLU(), Conv2d(outputs: outputs, kernel: 3, padding: .periodic)])
        projection = Dense(inputs: conditioning.features, outputs: outputs)
        second = LayerChain([GroupNorm(groups: groups), SiLU(), Conv2d(outputs: outputs, kernel: 3, padding: .periodic)])
        skip = LayerChain([])
    }

    /// "ResidualBlock(4→8, groups: 2)".
    public var summary: String { "ResidualBlock(\(built ? String(inputChannels) : "?")→\(outputs), groups: \(groups))" }
    /// [H, W, outputs].
    public var outputShape: TensorShape { shape }

    /// Skips dL/dx (the inner first layers skip theirs too).
    public func omitInputGradient() {
        precondition(!built, "omitInputGradient must come before build")
        computesInputGradient = false
        first.omitInputGradient()
    }

    /// Checks for an image and a built owner of the conditioning, builds the inner layers (the 1×1
    /// skip when the channels change) and allocates.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        built = true
        try ImageBlocks.checkDivisible(input, factor: 1, layer: summary, context: context)  // an image [H, W, C]
        guard conditioning.batch >= context.batch else {
            throw context.shapeError("\(summary): its TimeConditioning must belong to the TimeConditioned (or UNet) "
                                     + "layer this block is inside", expected: input, actual: input)
        }
        inputChannels = input.channels
        if inputChannels != outputs {
            skip = LayerChain([Conv2d(outputs: outputs, kernel: 1)])
            if !computesInputGradient { skip.omitInputGradient() }
        }
        let h = try first.build(input: input, context: context.child(0))
        _ = try projection.build(input: .vector(conditioning.features), context: context.child(1))
        shape = try second.build(input: h, context: context.child(2))
        if zeroInitialized, let conv = second.layers.last as? Conv2d { zeroParameters(of: conv, in: context.store) }
        _ = try skip.build(input: input, context: context.child(3))
        batch = context.batch
        projectionGradient = FloatBuffer(count: batch * outputs)
        return shape
    }

    /// y = skip(x) + second(first(x) + Dense(e)).
    ///
    /// h and y are written in place over the outputs of the first and the second convolution, and
    /// backward's dx over the first GroupNorm's dx: a convolution's backward reads its input and
    /// dy, never its own output (no ReLU follows it here to be fused), and a GroupNorm's dx is
    /// read only by the caller. That saves three activation-sized buffers per block (about 11% of
    /// a U-Net's memory in training).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "ResidualBlock.forward: \(rows) rows, built for \(batch)")
        let a = first.forward(x, rows: rows)
        let p = projection.forward(conditioning.current, rows: rows)
        let pixels = shape.height * shape.width, c = outputs, h = UnsafeMutablePointer(mutating: a)
        for n in 0 ..< rows {
            let pn = p + n * c
            for q in 0 ..< pixels {
                let i = (n * pixels + q) * c
                for j in 0 ..< c { h[i + j] += pn[j] }
            }
        }
        let b = second.forward(UnsafePointer(h), rows: rows)
        let s = skip.forward(x, rows: rows), y = UnsafeMutablePointer(mutating: b)
        for i in 0 ..< rows * shape.elements { y[i] += s[i] }
        return b
    }

    /// Parameter gradients of every inner layer, dL/de into the conditioning, dL/dx.
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "ResidualBlock.backward: \(rows) rows, built for \(batch)")
        let dh = second.backward(dy, rows: rows)
        let pixels = shape.height * shape.width, c = outputs, dp = projectionGradient.pointer
        for n in 0 ..< rows {
            let dpn = dp + n * c
            dpn.update(repeating: 0, count: c)
            for q in 0 ..< pixels {
                let i = (n * pixels + q) * c
                for j in 0 ..< c { dpn[j] += dh[i + j] }
            }
        }
        conditioning.accumulate(projection.backward(UnsafePointer(dp), rows: rows), rows: rows)
        let da = first.backward(dh, rows: rows)
        let ds = skip.backward(dy, rows: rows)
        guard computesInputGradient else { return da }
        let dx = UnsafeMutablePointer(mutating: da)
        for i in 0 ..< rows * inputChannels * pixels { dx[i] += ds[i] }
        return da
    }
}
