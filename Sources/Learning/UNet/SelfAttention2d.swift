import CLearningKernels
import COpenBLAS

/// Multi-head self-attention over the H·W positions of an NHWC image, with a residual add (the
/// attention block of the DDPM U-Net at its lowest resolution):
///   n = GroupNorm(x);  [q, k, v] = Conv1×1(n)  (3C channels);
///   per head (d = C/heads channels): o = softmax(q kᵀ/√d) v, the softmax over the H·W positions;
///   y = x + Conv1×1(o).
/// No position encoding: permuting the positions of x permutes those of y (the tests check it),
/// and a periodic shift is such a permutation. The products are SGEMMs on each sample and head
/// (OpenBLAS), the softmax and its backward vectorised C kernels (the row maximum is subtracted
/// first). The attention weights of the last forward are kept for backward:
/// batch × heads × (H·W)² floats.
///
/// Parameters under the layer's path: 0.* the GroupNorm, 1.* the q/k/v projection (weight
/// [3C, 1, 1, C]: output channels [0, C) are q, [C, 2C) k, [2C, 3C) v, head h the channels
/// [h·d, (h+1)·d) of each), 2.* the output projection (`zeroInitialized`: starting at zero, so the
/// layer begins as the identity).
public final class SelfAttention2d: Layer {
    /// Attention heads (must divide the channels).
    public let heads: Int
    /// GroupNorm groups (must divide the channels).
    public let groups: Int
    /// Whether the output projection starts at zero.
    public let zeroInitialized: Bool
    private let norm: GroupNorm
    private var inner: LayerChain  // GroupNorm, q/k/v projection (made at build, once C is known)
    private var outputProjection: Conv2d?
    private var shape = TensorShape.vector(1)
    private var batch = 0
    private var positions = 0
    private var built = false
    private var computesInputGradient = true
    private var qkv: UnsafePointer<Float>?
    private var weights = FloatBuffer(count: 0)  // batch × heads × N × N
    private var mixed = FloatBuffer(count: 0)  // batch × N × C: the heads' outputs
    private var qkvGradient = FloatBuffer(count: 0)  // batch × N × 3C
    private var scratch = FloatBuffer(count: 0)  // N × N: dL/d(weights), then dL/d(logits), of one head
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)

    /// Attention with `heads` heads after a GroupNorm of `groups` groups.
    public init(heads: Int = 1, groups: Int, zeroInitialized: Bool = false) {
        precondition(heads >= 1, "SelfAttention2d needs at least one head")
        self.heads = heads
        self.groups = groups
        self.zeroInitialized = zeroInitialized
        norm = GroupNorm(groups: groups)
        inner = LayerChain([])
    }

    /// "SelfAttention2d(heads: 1, groups: 2)".
    public var summary: String { "SelfAttention2d(heads: \(heads), groups: \(groups))" }
    /// Same as the input shape.
    public var outputShape: TensorShape { shape }

    /// Skips dL/dx (the residual's and the GroupNorm's).
    public func omitInputGradient() {
        precondition(!built, "omitInputGradient must come before build")
        computesInputGradient = false
    }

    /// Checks that the channels split into heads, builds the normalisation and projections,
    /// allocates the attention weights (overflow-checked).
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        built = true
        guard input.isImage else {
            throw context.shapeError("\(summary) needs an NHWC image [height, width, channels]",
                                     expected: .image(height: 1, width: 1, channels: input.elements), actual: input)
        }
        let c = input.channels
        guard c % heads == 0 else {
            throw context.shapeError("\(summary) needs channels in multiples of its \(heads) heads",
                                     expected: .image(height: input.height, width: input.width, channels: (c + heads - 1) / heads * heads),
                                     actual: input)
        }
        if !computesInputGradient { norm.omitInputGradient() }
        inner = LayerChain([norm, Conv2d(outputs: 3 * c, kernel: 1)])
        _ = try inner.build(input: input, context: context)  // children 0 (GroupNorm) and 1 (q/k/v)
        let out = Conv2d(outputs: c, kernel: 1)
        _ = try out.build(input: input, context: context.child(2))
        if zeroInitialized { zeroParameters(of: out, in: context.store) }
        outputProjection = out
        shape = input
        batch = context.batch
        positions = input.height * input.width
        let (nn, o1) = positions.multipliedReportingOverflow(by: positions)
        let (hnn, o2) = nn.multipliedReportingOverflow(by: heads)
        let (all, o3) = hnn.multipliedReportingOverflow(by: batch)
        precondition(!o1 && !o2 && !o3, "\(summary): batch × heads × (H·W)² attention weights overflow")
        weights = FloatBuffer(count: all)
        scratch = FloatBuffer(count: nn)
        mixed = FloatBuffer(count: batch * input.elements)
        qkvGradient = FloatBuffer(count: batch * 3 * input.elements)
        output = FloatBuffer(count: batch * input.elements)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * input.elements : 0)
        return input
    }

    /// y = x + Conv1×1(attention(GroupNorm(x))).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard built, let out = outputProjection else { preconditionFailure("SelfAttention2d.forward before build") }
        precondition(rows <= batch, "SelfAttention2d.forward: \(rows) rows, built for \(batch)")
        let t = inner.forward(x, rows: rows)
        qkv = t
        let c = shape.channels, d = c / heads, n = positions, scale = 1 / Float(d).squareRoot()
        for s in 0 ..< rows {
            for h in 0 ..< heads {
                let q = t + s * n * 3 * c + h * d, k = q + c, v = q + 2 * c
                let p = weights.pointer + (s * heads + h) * n * n
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(n), blasint(n), blasint(d),
                            scale, q, blasint(3 * c), k, blasint(3 * c), 0, p, blasint(n))
                cl_softmax_rows(p, n, n)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(d), blasint(n),
                            1, p, blasint(n), v, blasint(3 * c), 0, mixed.pointer + s * n * c + h * d, blasint(c))
            }
        }
        let f = out.forward(UnsafePointer(mixed.pointer), rows: rows), y = output.pointer
        for i in 0 ..< rows * shape.elements { y[i] = x[i] + f[i] }
        return UnsafePointer(y)
    }

    /// Backward of the output projection, of each head (dP = dO vᵀ, dv = Pᵀ dO, the softmax's
    /// backward, dq = dS k/√d, dk = dSᵀ q/√d), of the q/k/v projection and the GroupNorm; dx = dy + that.
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let out = outputProjection, let t = qkv else { preconditionFailure("SelfAttention2d.backward before forward") }
        let dMixed = out.backward(dy, rows: rows)
        let c = shape.channels, d = c / heads, n = positions, scale = 1 / Float(d).squareRoot()
        let g = scratch.pointer
        for s in 0 ..< rows {
            for h in 0 ..< heads {
                let q = t + s * n * 3 * c + h * d, k = q + c, v = q + 2 * c
                let dq = qkvGradient.pointer + s * n * 3 * c + h * d, dk = dq + c, dv = dq + 2 * c
                let p = UnsafePointer(weights.pointer + (s * heads + h) * n * n), dO = dMixed + s * n * c + h * d
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(n), blasint(n), blasint(d),
                            1, dO, blasint(c), v, blasint(3 * c), 0, g, blasint(n))
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(n), blasint(d), blasint(n),
                            1, p, blasint(n), dO, blasint(c), 0, dv, blasint(3 * c))
                cl_softmax_backward_rows(p, g, n, n)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(n), blasint(d), blasint(n),
                            scale, g, blasint(n), k, blasint(3 * c), 0, dq, blasint(3 * c))
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(n), blasint(d), blasint(n),
                            scale, g, blasint(n), q, blasint(3 * c), 0, dk, blasint(3 * c))
            }
        }
        let dn = inner.backward(UnsafePointer(qkvGradient.pointer), rows: rows)
        guard computesInputGradient else { return UnsafePointer(inputGradient.pointer) }
        let dx = inputGradient.pointer
        for i in 0 ..< rows * shape.elements { dx[i] = dy[i] + dn[i] }
        return UnsafePointer(dx)
    }
}
