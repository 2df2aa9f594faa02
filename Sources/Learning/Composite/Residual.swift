/// A residual block: y = x + f(x), f the inner layers in order (an empty list is the identity,
/// y = 2x). f must give back the input shape (checked at build). Backward: dx = dy + f′ᵀ·dy.
///
/// The inner layers are built at `context.child(i)`: in a model whose layer 3 is a Residual,
/// they are named "3.0.weight", "3.1.bias", … in the model's one store.
public final class Residual: Layer, TangentLayer, CompositeLayer {
    private var chain: LayerChain
    private var shape = TensorShape.vector(1)
    private var batch = 0
    private var built = false
    private var computesInputGradient = true
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var tangent = TangentOutputs()

    /// x + f(x) with f = `layers` applied in order.
    public init(_ layers: [any Layer]) { chain = LayerChain(layers) }

    /// The inner layers (f), in order.
    public var layers: [any Layer] { chain.layers }
    /// "Residual[Dense(8→8), ReLU]".
    public var summary: String { "Residual[\(chain.layers.map(\.summary).joined(separator: ", "))]" }
    /// Same as the input shape.
    public var outputShape: TensorShape { shape }

    /// The first inner layer without forward-mode derivatives, if any.
    var firstLayerWithoutTangent: String? { chain.firstLayerWithoutTangent }

    /// Skips the skip connection's dx (and the inner first layer's) when nobody reads it; the
    /// inner parameter gradients are still computed.
    public func omitInputGradient() {
        precondition(!built, "omitInputGradient must come before build")
        computesInputGradient = false
        chain.omitInputGradient()
    }

    /// Builds f at `context.child(i)` and checks that it returns the input shape.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        built = true
        let inner = try chain.build(input: input, context: context)
        guard inner == input else {
            throw context.shapeError("\(summary): its inner layers must return the input shape \(input)",
                                     expected: input, actual: inner)
        }
        shape = input
        batch = context.batch
        output = FloatBuffer(count: batch * input.elements)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch * input.elements : 0)
        return input
    }

    /// y = x + f(x).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "Residual.forward: \(rows) rows, built for \(batch)")
        let f = chain.forward(x, rows: rows)
        add(x, f, into: output.pointer, count: rows * shape.elements)
        return UnsafePointer(output.pointer)
    }

    /// Inner backward (adds the inner parameter gradients), then dx = dy + f′ᵀ·dy.
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(built && rows <= batch, "Residual.backward: \(rows) rows, built for \(batch)")
        let g = chain.backward(dy, rows: rows)
        if computesInputGradient { add(dy, g, into: inputGradient.pointer, count: rows * shape.elements) }
        return UnsafePointer(inputGradient.pointer)
    }

    /// (x + f, ẋ + ḟ, ẍ + f̈), f's derivatives from the inner layers' `tangentForward`s.
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        precondition(built && rows <= batch, "Residual.tangentForward: \(rows) rows, built for \(batch)")
        let secondOrder = ddx != nil, n = rows * shape.elements
        let out = tangent.prepare(count: batch * shape.elements, secondOrder: secondOrder)
        let f = chain.tangentForward(x, dx, ddx, direction: direction, rows: rows)
        add(x, f.y, into: out.y, count: n)
        add(dx, f.dy, into: out.dy, count: n)
        if let ddx, let fdd = f.ddy, let ddy = out.ddy { add(ddx, fdd, into: ddy, count: n) }
        return (UnsafePointer(out.y), UnsafePointer(out.dy), out.ddy.map { UnsafePointer($0) })
    }

    private func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0 ..< count { y[i] = a[i] + b[i] }
    }
}
