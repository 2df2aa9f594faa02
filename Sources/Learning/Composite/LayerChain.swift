/// A layer built from inner layers (`Chain`, `Residual`, `Concatenate`). A composite is a
/// `TangentLayer` whatever its inner layers are, so a model checking its layers with `as?` would
/// only find a missing `tangentForward` when the pass reaches it: this names it up front.
protocol CompositeLayer: Layer {
    /// "3.1.0 (Dense(4→3))": path and summary of the first inner layer, at any depth, that is not a
    /// `TangentLayer`; nil when every one is. Meaningful after `build` (before, the summary only).
    var firstLayerWithoutTangent: String? { get }
}

/// Layers applied one after the other inside a composite: the inner sequence of `Chain`,
/// `Residual` and each `Concatenate` branch. An empty chain is the identity.
///
/// The inner layers are built with child contexts of the composite (layer i of the chain at
/// `context.child(i)`), so their tensors are named "3.0.weight", "3.1.bias", … and live in the
/// same store as the rest of the model.
struct LayerChain {
    let layers: [any Layer]
    /// Each layer as a `TangentLayer`, or nil when it has no forward-mode derivatives.
    private let tangentLayers: [(any TangentLayer)?]
    private var names: [String] = []

    init(_ layers: [any Layer]) {
        self.layers = layers
        tangentLayers = layers.map { $0 as? any TangentLayer }
    }

    /// Tells the first layer that nobody reads the chain's dL/dx (before `build`).
    func omitInputGradient() { layers.first?.omitInputGradient() }

    /// Builds layer i at `context.child(i)` on the previous layer's output; returns the last output
    /// shape (the input shape for an empty chain).
    mutating func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        planReLUFusion(layers)
        var shape = input
        for (i, layer) in layers.enumerated() {
            let child = context.child(i)
            shape = try layer.build(input: shape, context: child)
            names.append("\(child.name) (\(layer.summary))")
        }
        return shape
    }

    /// Output of the last layer (x itself for an empty chain).
    func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        var h = x
        for layer in layers { h = layer.forward(h, rows: rows) }
        return h
    }

    /// dL/dx of the chain (dy itself for an empty chain); parameter gradients are added on the way.
    func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        var g = dy
        for layer in layers.reversed() { g = layer.backward(g, rows: rows) }
        return g
    }

    /// The first layer, here or inside a nested composite, that is not a `TangentLayer`.
    var firstLayerWithoutTangent: String? {
        for (i, layer) in layers.enumerated() {
            if tangentLayers[i] == nil { return names.indices.contains(i) ? names[i] : layer.summary }
            if let inner = (layer as? any CompositeLayer)?.firstLayerWithoutTangent { return inner }
        }
        return nil
    }

    /// (y, ẏ, ÿ) through every layer's `tangentForward`; stops with the name of the first layer
    /// that has none.
    func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                        direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        var h: (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) = (x, dx, ddx)
        for (i, t) in tangentLayers.enumerated() {
            guard let t else {
                preconditionFailure("layer \(names.indices.contains(i) ? names[i] : layers[i].summary) does not "
                                    + "implement TangentLayer, so this model has no forward-mode derivatives")
            }
            h = t.tangentForward(h.y, h.dy, h.ddy, direction: direction, rows: rows)
        }
        return h
    }
}
