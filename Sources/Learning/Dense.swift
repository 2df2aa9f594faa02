import COpenBLAS

/// Fully connected layer: y = s_w · x·Wᵀ + s_b · b on rows × inputs batches.
///
/// W is outputs × inputs (row-major, as PyTorch stores it), b has `outputs` entries; both are
/// views into the model's `ParameterStore`. s_w = s_b = 1 except under `.ntk(beta:)`, where
/// s_w = 1/sqrt(inputs) and s_b = β. All products are single-precision GEMMs.
public final class Dense: Layer {
    /// Output width.
    public let outputs: Int
    /// Expected input width; nil takes whatever the previous layer produces.
    public let declaredInputs: Int?
    /// Initialisation (and, for NTK, forward scaling).
    public let initialization: Initialization
    /// Input width, fixed by `build`.
    public private(set) var inputs = 0
    /// Factor on x·Wᵀ (1/sqrt(inputs) under NTK, else 1); fixed by `build`.
    public private(set) var weightScale: Float = 1
    /// Factor on b (β under NTK, else 1).
    public var biasScale: Float { initialization.biasScale }
    /// Where W (outputs × inputs) lives in the store; set by `build`.
    public private(set) var weight = ParameterView(name: "", shape: [], offset: 0, count: 0)
    /// Where b lives in the store; set by `build`.
    public private(set) var bias = ParameterView(name: "", shape: [], offset: 0, count: 0)

    private(set) var store: ParameterStore?
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var lastInput: UnsafePointer<Float>?
    private(set) var batch = 0
    private var computesInputGradient = true
    // Outputs of `tangentForward` (Dense+Tangent.swift), apart from the training buffers.
    var tangent = TangentOutputs()
    /// When set, `backward` copies its rows of x and dy here instead of adding dW and db; the
    /// gradient is then computed by `weightGradient(elements:rows:staging:into:)`
    /// (Dense+PartitionedGradient.swift). Set by a trainer for the duration of one backward only.
    public var weightGradientStaging: WeightGradientStaging?

    /// A layer with `outputs` units; pass `inputs` to have the model check the incoming width.
    public init(inputs: Int? = nil, outputs: Int, initialization: Initialization = .he) {
        precondition(outputs > 0, "Dense needs at least one output")
        self.declaredInputs = inputs
        self.outputs = outputs
        self.initialization = initialization
    }

    /// "Dense(in→out)" plus the parameterisation when it is not the standard one.
    public var summary: String {
        let i = store == nil ? (declaredInputs.map(String.init) ?? "?") : String(inputs)
        if case .ntk(let beta) = initialization { return "Dense(\(i)→\(outputs), ntk β=\(beta))" }
        return "Dense(\(i)→\(outputs))"
    }

    /// [outputs].
    public var outputShape: TensorShape { .vector(outputs) }

    /// Skips dx = s_w · dy·W (and its buffer): for the first layer of a model nobody reads it.
    public func omitInputGradient() {
        precondition(store == nil, "omitInputGradient must come before build")
        computesInputGradient = false
    }

    /// Registers "path.weight" [outputs, inputs] and "path.bias" [outputs], initialises them and
    /// allocates the output and input-gradient buffers. Any input shape is taken as a flat row
    /// (an image sample is flattened in its NHWC order).
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(self.store == nil, "a layer instance belongs to one model; it is already built")
        let inputFeatures = input.elements, batch = context.batch
        if let d = declaredInputs, d != inputFeatures {
            throw context.shapeError(summary, expected: .vector(d), actual: input)
        }
        inputs = inputFeatures
        weightScale = initialization.weightScale(fanIn: inputs)
        weight = context.register("weight", shape: [outputs, inputs])
        bias = context.register("bias", shape: [outputs])
        let (w, b) = (weight, bias), store = context.store
        store.withUnsafeMutableValues { v in
            initialization.fill(weights: .init(rebasing: v[w.range]), bias: .init(rebasing: v[b.range]),
                                fanIn: inputs, fanOut: outputs, seed: context.seed, stream: context.stream)
        }
        self.store = store
        self.batch = batch
        output = FloatBuffer(count: batch * outputs)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * inputs : 0)
        return outputShape
    }

    /// y = s_w · x·Wᵀ + s_b · b (one SGEMM, then the bias row added to each row).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let store else { preconditionFailure("Dense.forward before build") }
        precondition(rows <= batch, "Dense.forward: \(rows) rows, built for \(batch)")
        lastInput = x
        let y = output.pointer, (n, k) = (outputs, inputs), sb = biasScale
        store.withUnsafeValues { v in
            let w = v.baseAddress! + weight.offset, b = v.baseAddress! + bias.offset
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(rows), blasint(n), blasint(k),
                        weightScale, x, blasint(k), w, blasint(k), 0, y, blasint(n))
            for r in 0 ..< rows {
                let row = y + r * n
                for j in 0 ..< n { row[j] += sb * b[j] }
            }
        }
        return UnsafePointer(y)
    }

    /// dW += s_w · dyᵀ·x, db += s_b · Σ_rows dy, dx = s_w · dy·W (two SGEMMs and a row sum; dx is
    /// skipped after `omitInputGradient()`). With `weightGradientStaging` set, dW and db are left
    /// alone and x and dy are copied into the staging rows instead.
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let store, let x = lastInput else { preconditionFailure("Dense.backward before forward") }
        let dx = inputGradient.pointer, (n, k) = (outputs, inputs), sb = biasScale
        store.withUnsafeValues { v in
            store.withUnsafeMutableGradients { g in
                let w = v.baseAddress! + weight.offset
                let dw = g.baseAddress! + weight.offset, db = g.baseAddress! + bias.offset
                if let staging = weightGradientStaging {
                    staging.stage(inputs: x, outputGradients: dy, rows: rows, inputWidth: k, outputWidth: n)
                } else {
                    // beta = 1: gradients accumulate (micro-batches, or a rank's share of the global batch).
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(n), blasint(k), blasint(rows),
                                weightScale, dy, blasint(n), x, blasint(k), 1, dw, blasint(k))
                    for r in 0 ..< rows {
                        let row = dy + r * n
                        for j in 0 ..< n { db[j] += sb * row[j] }
                    }
                }
                if computesInputGradient {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(rows), blasint(k), blasint(n),
                                weightScale, dy, blasint(n), w, blasint(k), 0, dx, blasint(k))
                }
            }
        }
        return UnsafePointer(dx)
    }
}
