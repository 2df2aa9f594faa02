/// A sequence of layers usable as ONE layer inside another model or composite (a nested
/// `Sequential`): y = f_n(… f_1(x)). Its layers are named by their place under the chain's own
/// path ("2.0.weight", "2.1.weight", …) and share the model's store.
///
/// `Sequential` itself is not a `Layer`: it owns its store, batch and input copy and builds its
/// layers when it is created, which a nested layer must not do (it is built later, by its
/// parent, into the parent's store). `Chain` is that nested form.
public final class Chain: Layer, TangentLayer, CompositeLayer {
    private var chain: LayerChain
    private var shape = TensorShape.vector(1)
    private var built = false

    /// Chains `layers` (empty: the identity).
    public init(_ layers: [any Layer]) { chain = LayerChain(layers) }

    /// The inner layers, in order.
    public var layers: [any Layer] { chain.layers }
    /// "Chain[Dense(4→8), ReLU]".
    public var summary: String { "Chain[\(chain.layers.map(\.summary).joined(separator: ", "))]" }
    /// The last inner layer's output shape; meaningful after `build`.
    public var outputShape: TensorShape { shape }

    /// The first inner layer without forward-mode derivatives, if any.
    var firstLayerWithoutTangent: String? { chain.firstLayerWithoutTangent }

    /// Passed on to the first inner layer.
    public func omitInputGradient() {
        precondition(!built, "omitInputGradient must come before build")
        chain.omitInputGradient()
    }

    /// Builds the inner layers one after the other at `context.child(i)`.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(!built, "a layer instance belongs to one model; it is already built")
        built = true
        shape = try chain.build(input: input, context: context)
        return shape
    }

    /// The inner layers' forwards in order (their buffers; x itself when empty).
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        chain.forward(x, rows: rows)
    }

    /// The inner layers' backwards in reverse order.
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        chain.backward(dy, rows: rows)
    }

    /// The inner layers' `tangentForward`s in order (each must be a `TangentLayer`).
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        chain.tangentForward(x, dx, ddx, direction: direction, rows: rows)
    }
}
