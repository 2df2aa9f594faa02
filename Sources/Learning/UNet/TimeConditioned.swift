/// A model of a field and a diffusion time: each input row is the field (its `field.elements`
/// floats, NHWC for an image) followed by ONE float t, so the layer fits `Sequential`, the
/// trainer and every sample source unchanged (input shape [field.elements + 1]).
///
/// Forward: t goes through the `time` layers (typically `SinusoidalTimeEmbedding`, Dense, SiLU,
/// Dense, SiLU), whose output is published in the shared `conditioning` for the blocks to read;
/// the field goes through the `body` layers, whose output is the layer's output. Backward: the
/// conditioning's gradient is cleared, the body's backward lets every block add its
/// dL/d(embedding), then the time layers' backward gives their parameter gradients and dL/dt.
/// dL/dx is [dL/d(field), dL/dt] per row.
///
/// Parameters: time layer i at `context.child(0).child(i)`, body layer i at
/// `context.child(1).child(i)` ("0.0.1.weight" is the first Dense of the time MLP of a model
/// whose layer 0 is this one).
public final class TimeConditioned: Layer {
    /// Per-sample shape of the field part of a row.
    public let field: TensorShape
    /// The embedding the body's blocks read.
    public let conditioning: TimeConditioning
    private var time: LayerChain
    private var body: LayerChain
    private var shape = TensorShape.vector(1)
    private var batch = 0
    private var built = false
    private var computesInputGradient = true
    private var fieldInput = FloatBuffer(count: 0)
    private var timeInput = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)

    /// `body` on the field, conditioned by `time` applied to t through `conditioning` (whose
    /// `features` must be the time layers' output width).
    public init(field: TensorShape, conditioning: TimeConditioning, time: [any Layer], body: [any Layer]) {
        self.field = field
        self.conditioning = conditioning
        self.time = LayerChain(time)
        self.body = LayerChain(body)
    }

    /// The time-embedding layers, in order.
    public var timeLayers: [any Layer] { time.layers }
    /// The field layers, in order.
    public var bodyLayers: [any Layer] { body.layers }
    /// "TimeConditioned(field [8, 8, 1], time [...], body [...])".
    public var summary: String {
        "TimeConditioned(field \(field), time [\(time.layers.map(\.summary).joined(separator: ", "))], "
            + "body [\(body.layers.map(\.summary).joined(separator: ", "))])"
    }
    /// The body's output shape.
    public var outputShape: TensorShape { shape }

    /// Nobody reads dL/dx: neither dL/d(field) nor dL/dt is computed.
    public func omitInputGradient() {
        precondition(!built, "omitInputGradient must come before build")
        computesInputGradient = false
        time.omitInputGradient()
        body.omitInputGradient()
    }

    /// Checks the row width, allocates the conditioning, builds the time layers on [1] (their
    /// output must be [conditioning.features]) and the body on `field`.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        built = true
        let f = field.elements
        guard input.elements == f + 1 else {
            throw context.shapeError("\(summary): a row is the field (\(f) floats) then t", expected: .vector(f + 1), actual: input)
        }
        batch = context.batch
        conditioning.allocate(batch: batch)
        let embedded = try time.build(input: .vector(1), context: context.child(0))
        guard embedded.elements == conditioning.features else {
            throw context.shapeError("\(summary): the time layers must give the conditioning's \(conditioning.features) features",
                                     expected: .vector(conditioning.features), actual: embedded)
        }
        shape = try body.build(input: field, context: context.child(1))
        fieldInput = FloatBuffer(count: batch * f)
        timeInput = FloatBuffer(count: batch)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * (f + 1) : 0)
        return shape
    }

    /// Splits each row, publishes the time embedding, returns the body's output.
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "TimeConditioned.forward: \(rows) rows, built for \(batch)")
        let f = field.elements
        for r in 0 ..< rows {
            (fieldInput.pointer + r * f).update(from: x + r * (f + 1), count: f)
            timeInput.pointer[r] = x[r * (f + 1) + f]
        }
        conditioning.publish(time.forward(timeInput.pointer, rows: rows))
        return body.forward(fieldInput.pointer, rows: rows)
    }

    /// The body's backward (the blocks accumulate dL/d(embedding)), then the time layers'.
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "TimeConditioned.backward: \(rows) rows, built for \(batch)")
        conditioning.clearGradient(rows: rows)
        let dField = body.backward(dy, rows: rows)
        let dt = time.backward(conditioning.gradient.pointer, rows: rows)
        guard computesInputGradient else { return UnsafePointer(inputGradient.pointer) }
        let f = field.elements, dx = inputGradient.pointer
        for r in 0 ..< rows {
            (dx + r * (f + 1)).update(from: dField + r * f, count: f)
            dx[r * (f + 1) + f] = dt[r]
        }
        return UnsafePointer(dx)
    }
}
