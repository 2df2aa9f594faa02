import CLearningKernels

/// 2-D convolution on NHWC images with "same" padding: y = s_w · conv(x, W) + s_b · b.
///
/// One sample is [height, width, inputs]; the output is [height/stride, width/stride, outputs].
/// Kernels are 1 × 1 or 3 × 3, strides 1 or 2 (stride 2 needs an even height and width). Padding
/// `.zero` reads zeros outside the image; `.periodic` reads the image on the torus (what fields
/// with periodic boundaries, such as the ns2d snapshots, need), so a shifted input gives the
/// same shift of the output.
///
/// Parameters, in the model's `ParameterStore` in ONE canonical layout whatever the backend:
/// "path.weight" [outputs, kernel, kernel, inputs] (OHWI: for each output channel a kernel in the
/// row-major order of an NHWC patch; PyTorch's OIHW weight is its permutation (0, 2, 3, 1)) and
/// "path.bias" [outputs]. s_w = s_b = 1 except under `.ntk(beta:)`, where s_w = 1/sqrt(fan-in),
/// fan-in = kernel² · inputs, and s_b = β; gradients are those of the unscaled W, b.
///
/// Threads: the oneDNN backend runs on OpenMP; set OMP_NUM_THREADS (the trainer sets 1 per rank).
public final class Conv2d: Layer, TangentLayer {
    /// What the convolution reads outside the image.
    public enum Padding: Sendable, Equatable {
        /// Zeros.
        case zero
        /// The image repeated periodically (the torus).
        case periodic
    }

    /// Which library computes the products (same semantics and parameter layout).
    public enum Backend: Sendable, Equatable {
        /// oneDNN primitives (the fast path).
        case oneDNN
        /// im2col + OpenBLAS SGEMM: the reference the tests compare oneDNN against, and a fallback.
        case im2col
    }

    /// Output channels.
    public let outputs: Int
    /// Kernel side: 1 or 3.
    public let kernel: Int
    /// Stride: 1 or 2.
    public let stride: Int
    /// Zero or periodic padding.
    public let padding: Padding
    /// Initialisation (and, for NTK, forward scaling).
    public let initialization: Initialization
    /// The library computing the convolution.
    public let backend: Backend
    /// Input channels, fixed by `build`.
    public private(set) var inputs = 0
    /// Factor on conv(x, W) (1/sqrt(kernel² · inputs) under NTK, else 1); fixed by `build`.
    public private(set) var weightScale: Float = 1
    /// Factor on b (β under NTK, else 1).
    public var biasScale: Float { initialization.biasScale }
    /// Where W [outputs, kernel, kernel, inputs] lives in the store; set by `build`.
    public private(set) var weight = ParameterView(name: "", shape: [], offset: 0, count: 0)
    /// Where b [outputs] lives in the store; set by `build`.
    public private(set) var bias = ParameterView(name: "", shape: [], offset: 0, count: 0)

    var geometry: ConvolutionGeometry?
    var engine: (any ConvolutionEngine)?
    var store: ParameterStore?
    var batch = 0
    private var shape = TensorShape.vector(1)
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var lastInput: UnsafePointer<Float>?
    private var computesInputGradient = true
    /// The model's plan put the following ReLU into this layer (`fuseReLU`).
    private(set) var fusesReLU = false
    /// Fused: backward masks the dy it is given in place (the next layer's own dL/dx buffer).
    private(set) var masksGradientInPlace = false
    /// Fused, not in place: the masked dy.
    private var maskedGradient = FloatBuffer(count: 0)
    /// Fused: Σ of the masked dy per output channel (db), in double.
    private var channelSums: [Double] = []
    var tangent: TangentBuffers?

    /// A convolution to `outputs` channels with a `kernel` × `kernel` window (1 or 3) and
    /// `stride` 1 or 2; the input channels come from the previous layer.
    public init(outputs: Int, kernel: Int, stride: Int = 1, padding: Padding = .zero,
                initialization: Initialization = .he, backend: Backend = .oneDNN) {
        precondition(outputs > 0, "Conv2d needs at least one output channel")
        precondition(kernel == 1 || kernel == 3, "Conv2d kernel must be 1 or 3, got \(kernel)")
        precondition(stride == 1 || stride == 2, "Conv2d stride must be 1 or 2, got \(stride)")
        self.outputs = outputs
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.initialization = initialization
        self.backend = backend
    }

    /// For example "Conv2d(3×3, 64→64, stride 2, periodic)".
    public var summary: String {
        var parts = ["\(kernel)×\(kernel)", "\(store == nil ? "?" : String(inputs))→\(outputs)"]
        if stride != 1 { parts.append("stride \(stride)") }
        if padding == .periodic { parts.append("periodic") }
        if case .ntk(let beta) = initialization { parts.append("ntk β=\(beta)") }
        if backend == .im2col { parts.append("im2col") }
        return "Conv2d(\(parts.joined(separator: ", ")))"
    }

    /// [height/stride, width/stride, outputs]; meaningful after `build`.
    public var outputShape: TensorShape { shape }

    /// Skips backward-data (for the first layer of a model nobody reads dL/dx).
    public func omitInputGradient() {
        precondition(store == nil, "omitInputGradient must come before build")
        computesInputGradient = false
    }

    /// Takes in the following ReLU (which then passes values and gradients through): the forward
    /// applies max(0, ·) to its output, the backward masks dy by that output (y > 0 ⇔ the
    /// pre-activation > 0) and sums db in the same pass. In place when `masksGradientInPlace`
    /// (dy is the next layer's own buffer, read by nobody after). Decided once, by
    /// `planReLUFusion`, before `build`.
    func fuseReLU(masksGradientInPlace inPlace: Bool) {
        precondition(store == nil, "fuseReLU must come before build")
        fusesReLU = true
        masksGradientInPlace = inPlace
    }

    /// Whether max(0, ·) runs inside the oneDNN forward primitive (a post-op) rather than as a
    /// clamp after it (im2col, or a oneDNN layout mismatch).
    var fusesReLUInPrimitive: Bool { fusesReLU && ((engine as? OneDNNConvolution)?.hasFusedReLUPrimitive ?? false) }

    /// Checks that the input is an image [H, W, C] (H, W even for stride 2), registers
    /// "path.weight" [outputs, kernel, kernel, C] and "path.bias" [outputs], initialises them
    /// (fan-in kernel²·C, fan-out kernel²·outputs) and creates the backend's primitives and
    /// buffers for `context.batch` samples.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(self.store == nil, "a layer instance belongs to one model; it is already built")
        guard input.isImage else {
            throw context.shapeError("\(summary) needs an NHWC image [height, width, channels]",
                                     expected: .image(height: 1, width: 1, channels: input.elements), actual: input)
        }
        if stride == 2 && (input.height % 2 != 0 || input.width % 2 != 0) {
            throw context.shapeError("\(summary) needs an even height and width",
                                     expected: .image(height: input.height + input.height % 2,
                                                      width: input.width + input.width % 2, channels: input.channels),
                                     actual: input)
        }
        let g = ConvolutionGeometry(height: input.height, width: input.width, inputs: input.channels, outputs: outputs,
                                    kernel: kernel, stride: stride, periodic: padding == .periodic)
        inputs = g.inputs
        weightScale = initialization.weightScale(fanIn: g.patch)
        weight = context.register("weight", shape: [outputs, kernel, kernel, inputs])
        bias = context.register("bias", shape: [outputs])
        let (w, b) = (weight, bias), store = context.store
        store.withUnsafeMutableValues { v in
            initialization.fill(weights: .init(rebasing: v[w.range]), bias: .init(rebasing: v[b.range]),
                                fanIn: g.patch, fanOut: kernel * kernel * outputs, seed: context.seed, stream: context.stream)
        }
        switch backend {
        case .oneDNN:
            engine = OneDNNConvolution(geometry: g, batch: context.batch, weightScale: weightScale, biasScale: biasScale,
                                       computesInputGradient: computesInputGradient, fusesReLU: fusesReLU)
        case .im2col:
            engine = Im2colConvolution(geometry: g, weightScale: weightScale, biasScale: biasScale)
        }
        geometry = g
        self.store = store
        batch = context.batch
        shape = .image(height: g.outHeight, width: g.outWidth, channels: outputs)
        output = FloatBuffer(count: batch * g.outputElements)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * g.inputElements : 0)
        maskedGradient = FloatBuffer(count: fusesReLU && !masksGradientInPlace ? batch * g.outputElements : 0)
        channelSums = [Double](repeating: 0, count: fusesReLU ? outputs : 0)
        return shape
    }

    /// Whether each oneDNN step reorders the weights from the canonical layout (false for im2col).
    public var reordersWeightsEachStep: Bool { (engine as? OneDNNConvolution)?.reordersWeights ?? false }

    /// y = s_w · conv(x, W) + s_b · b into the layer's buffer (max(0, y) when a ReLU is fused).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let store, let engine else { preconditionFailure("Conv2d.forward before build") }
        precondition(rows <= batch, "Conv2d.forward: \(rows) rows, built for \(batch)")
        lastInput = x
        let y = output.pointer, (w, b) = (weight, bias), relu = fusesReLU
        store.withUnsafeValues { v in
            let wp = v.baseAddress! + w.offset, bp = v.baseAddress! + b.offset
            if relu {
                engine.forwardReLU(x, weights: wp, bias: bp, into: y, rows: rows)
            } else {
                engine.forward(x, weights: wp, bias: bp, into: y, rows: rows)
            }
        }
        return UnsafePointer(y)
    }

    /// dW += s_w · Σ x ⊗ dy, db += s_b · Σ dy, and dx = s_w · convᵀ(dy, W) (skipped after
    /// `omitInputGradient()`); with a fused ReLU, dy masked by the output first.
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let store, let engine, let x = lastInput else { preconditionFailure("Conv2d.backward before forward") }
        let dx = inputGradient.pointer, (w, b) = (weight, bias), input = computesInputGradient
        let dz = fusesReLU ? maskByOutput(dy, rows: rows) : dy
        store.withUnsafeValues { v in
            store.withUnsafeMutableGradients { gr in
                let db = gr.baseAddress! + b.offset
                engine.backwardWeights(dz, input: x, weightGradient: gr.baseAddress! + w.offset,
                                       biasGradient: fusesReLU ? nil : db, rows: rows)
                if fusesReLU {
                    let sb = biasScale
                    for j in 0 ..< outputs { db[j] += sb * Float(channelSums[j]) }
                }
                if input { engine.backwardData(dz, weights: v.baseAddress! + w.offset, into: dx, rows: rows) }
            }
        }
        return UnsafePointer(dx)
    }

    /// dz = dy where the (fused) output is > 0, else 0, in place or into `maskedGradient`; the
    /// per-channel sums of dz into `channelSums`.
    private func maskByOutput(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let y = UnsafePointer(output.pointer), positions = rows * shape.height * shape.width, c = outputs
        let inPlace = masksGradientInPlace, masked = maskedGradient.pointer
        channelSums.withUnsafeMutableBufferPointer { sums in
            sums.update(repeating: 0)
            if inPlace {
                cl_relu_mask_sums(y, UnsafeMutablePointer(mutating: dy), positions, c, sums.baseAddress!)
            } else {
                cl_relu_backward_sums(y, dy, masked, positions, c, sums.baseAddress!)
            }
        }
        return inPlace ? dy : UnsafePointer(masked)
    }
}
