import CLearningKernels

/// Group normalisation (Wu & He 2018), as `torch.nn.GroupNorm`: the channels (last axis) are split
/// into `groups` contiguous groups, and each sample's group is normalised over all its positions
/// (H·W for an NHWC image, 1 for a vector sample) and channels with the biased variance, eps
/// inside the square root; then a per-channel affine map:
///   y = γ_c · (x − μ) / sqrt(σ² + eps) + β_c.
/// γ ("path.weight", [C], initialised to 1) and β ("path.bias", [C], initialised to 0) live in the
/// model's store. Statistics are per sample, so the result does not depend on the batch or on how
/// it is split over ranks. Forward and backward run in the C kernels (double accumulation).
public final class GroupNorm: Layer, TangentLayer {
    /// Number of channel groups (1: layer norm over the whole sample; C: instance norm).
    public let groups: Int
    /// Added to the variance inside the square root.
    public let epsilon: Float
    /// Where γ lives in the store; set by `build`.
    public private(set) var weight = ParameterView(name: "", shape: [], offset: 0, count: 0)
    /// Where β lives in the store; set by `build`.
    public private(set) var bias = ParameterView(name: "", shape: [], offset: 0, count: 0)
    /// Channels (last axis of the sample), fixed by `build`.
    public private(set) var channels = 0
    /// Positions per sample (all axes but the last), fixed by `build`.
    public private(set) var positions = 0

    private var store: ParameterStore?
    private var shape = TensorShape.vector(1)
    private var batch = 0
    private var computesInputGradient = true
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var mean = UnsafeMutablePointer<Double>.allocate(capacity: 1)  // batch × groups, last forward
    private var rstd = FloatBuffer(count: 0)  // batch × groups
    private var workspace = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    private var lastInput: UnsafePointer<Float>?
    var tangent = TangentOutputs()

    /// Normalises `groups` groups of channels; `epsilon` as PyTorch's default.
    public init(groups: Int, epsilon: Float = 1e-5) {
        precondition(groups >= 1, "GroupNorm needs at least one group, got \(groups)")
        precondition(epsilon >= 0 && epsilon.isFinite, "GroupNorm needs a finite epsilon ≥ 0, got \(epsilon)")
        self.groups = groups
        self.epsilon = epsilon
    }

    deinit {
        workspace.deallocate()
        mean.deallocate()
    }

    /// "GroupNorm(groups: 4, eps: 1e-05)".
    public var summary: String { "GroupNorm(groups: \(groups), eps: \(epsilon))" }
    /// Same as the input shape.
    public var outputShape: TensorShape { shape }

    /// Skips dx in `backward` (nobody reads it).
    public func omitInputGradient() {
        precondition(store == nil, "omitInputGradient must come before build")
        computesInputGradient = false
    }

    /// Checks that the channels (last axis) split into the groups, registers γ = 1 and β = 0 and
    /// allocates every buffer.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(store == nil, "a layer instance belongs to one model; it is already built")
        let c = input.dims.last!
        guard c % groups == 0 else {
            let up = (c + groups - 1) / groups * groups
            throw context.shapeError("\(summary) needs channels (the last axis) in multiples of \(groups)",
                                     expected: TensorShape(input.dims.dropLast() + [up]), actual: input)
        }
        channels = c
        positions = input.elements / c
        shape = input
        batch = context.batch
        weight = context.register("weight", shape: [c])
        bias = context.register("bias", shape: [c])
        let w = weight
        context.store.withUnsafeMutableValues { v in
            for i in w.range { v[i] = 1 }  // β stays at the store's 0
        }
        store = context.store
        output = FloatBuffer(count: batch * input.elements)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * input.elements : 0)
        mean.deallocate()
        mean = .allocate(capacity: batch * groups)
        mean.initialize(repeating: 0, count: batch * groups)
        rstd = FloatBuffer(count: batch * groups)
        workspace.deallocate()
        let n = cl_group_norm_workspace(c)
        workspace = .allocate(capacity: n)
        workspace.initialize(repeating: 0, count: n)
        return input
    }

    /// y = γ·x̂ + β; keeps x, μ and 1/σ per (sample, group) for backward.
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let store else { preconditionFailure("GroupNorm.forward before build") }
        precondition(rows <= batch, "GroupNorm.forward: \(rows) rows, built for \(batch)")
        lastInput = x
        store.withUnsafeValues { v in
            cl_group_norm_forward(x, v.baseAddress! + weight.offset, v.baseAddress! + bias.offset, output.pointer,
                                  mean, rstd.pointer, workspace, rows, positions, channels, groups, epsilon)
        }
        return UnsafePointer(output.pointer)
    }

    /// dγ += Σ dy·x̂, dβ += Σ dy, dx = (1/σ)·(γ·dy − mean(γ·dy) − x̂·mean(γ·dy·x̂)) per group (dx
    /// skipped after `omitInputGradient()`).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let store, let x = lastInput else { preconditionFailure("GroupNorm.backward before forward") }
        store.withUnsafeValues { v in
            store.withUnsafeMutableGradients { g in
                cl_group_norm_backward(x, dy, v.baseAddress! + weight.offset, mean, rstd.pointer,
                                       computesInputGradient ? inputGradient.pointer : nil,
                                       g.baseAddress! + weight.offset, g.baseAddress! + bias.offset,
                                       workspace, rows, positions, channels, groups)
            }
        }
        return UnsafePointer(inputGradient.pointer)
    }

    /// The store γ and β live in (for the tangent extension); nil before `build`.
    var parameterStore: ParameterStore? { store }
    /// Rows the buffers hold.
    var builtBatch: Int { batch }
}
