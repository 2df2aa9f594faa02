/// Layers applied one after the other, built once for a batch size.
///
/// Building checks every layer's input width against its predecessor's output (a `ShapeError`
/// names the layer and both shapes), registers all parameters in one `ParameterStore` and
/// allocates every buffer. `forward` and `backward` then allocate nothing. Each `Conv2d` directly
/// followed by a `ReLU` applies the ReLU in its own forward (`planReLUFusion`, decided here once).
public final class Sequential {
    /// The layers, in order.
    public let layers: [any Layer]
    /// All parameters and gradients of the model.
    public let store: ParameterStore
    /// Rows the buffers hold; a call may use fewer (a last, partial batch).
    public let batch: Int
    /// Per-sample input shape.
    public let inputShape: TensorShape
    /// Per-sample output shape.
    public let outputShape: TensorShape
    /// Floats per input sample.
    public var inputFeatures: Int { inputShape.elements }
    /// Floats per output sample.
    public var outputFeatures: Int { outputShape.elements }
    /// Whether `backward` returns dL/d(input); if not, the first layer may skip computing it.
    public let computesInputGradient: Bool
    /// The element range of `store.values` (and `store.gradients`) each layer registered, in layer
    /// order (empty for layers without parameters). Layers register consecutively, so these ranges
    /// tile the store; a data-parallel trainer groups gradients into buckets by them.
    public let parameterRanges: [Range<Int>]

    // The input is copied here so the layers' saved input pointers stay valid until backward,
    // whatever the caller does with its own array.
    private let input: FloatBuffer
    // Zero input tangents and the layers as `TangentLayer`s, made on the first tangent pass.
    var tangentState = SequentialTangentState()

    /// Builds `layers` for batches of up to `batch` samples of shape `input`. Parameters are
    /// initialised from `seed` (layer i uses CounterRNG stream i). Training needs no gradient
    /// with respect to the data, so by default none is computed; pass `inputGradient: true` for one.
    public convenience init(input: TensorShape, batch: Int, seed: UInt64, inputGradient: Bool = false,
                            _ layers: [any Layer]) throws {
        try self.init(input: input, batch: batch, seed: seed, inputGradient: inputGradient, fusingReLUs: true, layers)
    }

    /// The designated initialiser; `fusingReLUs: false` keeps every ReLU a pass of its own (the
    /// tests' reference for the fused path, see `planReLUFusion`).
    init(input: TensorShape, batch: Int, seed: UInt64, inputGradient: Bool, fusingReLUs: Bool, _ layers: [any Layer]) throws {
        precondition(batch > 0, "Sequential needs a positive batch")
        let store = ParameterStore()
        if !inputGradient { layers.first?.omitInputGradient() }
        if fusingReLUs { planReLUFusion(layers) }
        var shape = input
        var ranges: [Range<Int>] = []
        for (i, layer) in layers.enumerated() {
            let first = store.count
            shape = try layer.build(input: shape, context: BuildContext(batch: batch, seed: seed, store: store, path: [i]))
            ranges.append(first ..< store.count)
        }
        self.parameterRanges = ranges
        self.layers = layers
        self.store = store
        self.batch = batch
        self.inputShape = input
        self.outputShape = shape
        self.computesInputGradient = inputGradient
        let (n, o) = batch.multipliedReportingOverflow(by: input.elements)
        precondition(!o, "Sequential: batch × input elements overflows")
        self.input = FloatBuffer(count: n)
    }

    /// Builds `layers` for rows of `inputFeatures` values (a dense model).
    public convenience init(inputFeatures: Int, batch: Int, seed: UInt64, inputGradient: Bool = false, _ layers: [any Layer]) throws {
        precondition(inputFeatures > 0, "Sequential needs a positive input width")
        try self.init(input: .vector(inputFeatures), batch: batch, seed: seed, inputGradient: inputGradient, layers)
    }

    /// Runs the first `rows` rows of `x` (rows × inputFeatures, row-major) through every layer and
    /// returns the output (rows × outputFeatures), valid until the next forward.
    @discardableResult
    public func forward(_ x: UnsafeBufferPointer<Float>, rows: Int) -> UnsafeBufferPointer<Float> {
        precondition(rows <= batch && x.count >= rows * inputFeatures,
                     "Sequential.forward: \(rows) rows of \(inputFeatures) (built for \(batch)), \(x.count) values given")
        if rows > 0 { input.pointer.update(from: x.baseAddress!, count: rows * inputFeatures) }
        var h = UnsafePointer(input.pointer)
        for layer in layers { h = layer.forward(h, rows: rows) }
        return UnsafeBufferPointer(start: h, count: rows * outputFeatures)
    }

    /// `forward` on an array.
    @discardableResult
    public func forward(_ x: [Float], rows: Int) -> UnsafeBufferPointer<Float> {
        x.withUnsafeBufferPointer { forward($0, rows: rows) }
    }

    /// Back-propagates dL/d(output) (rows × outputFeatures) of the last forward: parameter gradients
    /// are ADDED into `store.gradients`. Returns dL/d(input), valid until the next backward, or an
    /// empty buffer unless the model was built with `inputGradient: true`.
    @discardableResult
    public func backward(_ dy: UnsafeBufferPointer<Float>, rows: Int) -> UnsafeBufferPointer<Float> {
        precondition(rows <= batch && dy.count >= rows * outputFeatures, "Sequential.backward: too few gradient values")
        guard var g = dy.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        for layer in layers.reversed() { g = layer.backward(g, rows: rows) }
        return UnsafeBufferPointer(start: g, count: computesInputGradient ? rows * inputFeatures : 0)
    }

    /// `backward`, calling `afterLayer(i)` right after layer i's backward (layers in reverse order,
    /// i = layers.count-1 down to 0). When it is called, the gradients in `parameterRanges[j]` for
    /// every j ≥ i are final for this pass, so a data-parallel trainer can start reducing them while
    /// the remaining layers still run. The callback must not touch the store's arrays (it may read
    /// gradients through a pointer taken before the pass).
    @discardableResult
    public func backward(_ dy: UnsafeBufferPointer<Float>, rows: Int,
                         afterLayer: (Int) -> Void) -> UnsafeBufferPointer<Float> {
        precondition(rows <= batch && dy.count >= rows * outputFeatures, "Sequential.backward: too few gradient values")
        guard var g = dy.baseAddress else { return UnsafeBufferPointer(start: nil, count: 0) }
        var i = layers.count - 1
        while i >= 0 {
            g = layers[i].backward(g, rows: rows)
            afterLayer(i)
            i -= 1
        }
        return UnsafeBufferPointer(start: g, count: computesInputGradient ? rows * inputFeatures : 0)
    }

    /// Throws unless `loss` takes this model's output width and at least its batch: the check
    /// belongs at build time, next to the layers' own, not in the training loop.
    public func check(loss: some Loss) throws {
        guard loss.features == outputFeatures && loss.gradient.count >= batch * outputFeatures else {
            throw ShapeError(layerIndex: layers.count, layer: "loss",
                             expected: [loss.gradient.count / max(loss.features, 1), loss.features],
                             actual: [batch, outputFeatures])
        }
    }

    /// Layer summaries and parameter tensors, one per line (for logs and run records).
    public var summary: String {
        var lines = layers.enumerated().map { "\($0.offset): \($0.element.summary)" }
        lines += store.views.map { "  \($0.name) \($0.shape)" }
        return lines.joined(separator: "\n")
    }
}
