/// A model that cannot take forward-mode derivatives because one of its layers does not
/// implement `TangentLayer`.
public struct TangentUnsupportedError: Error, Equatable, CustomStringConvertible {
    /// Position of the layer in the model.
    public let layerIndex: Int
    /// Its summary, for example "Conv2d(3×3, 16→16)".
    public let layer: String

    /// One line naming the layer and what is needed.
    public var description: String {
        "layer \(layerIndex) (\(layer)) has no forward-mode derivative (TangentLayer): the exact " +
            "Jacobian–vector products of the linearisation diagnostics need every layer to implement tangentForward"
    }
}

/// The results of one Taylor pass of a model over `rows` samples, each rows × outputFeatures:
/// the output f(θ, x), its directional derivative J·v and, for a second-order pass, vᵀ·H·v per
/// output. They live in the last layer's buffers: valid until the model's next tangent pass.
public struct TaylorOutputs {
    /// f(θ, x).
    public let value: UnsafeBufferPointer<Float>
    /// d/dε f(θ + εv, x) at ε = 0, i.e. J·v.
    public let first: UnsafeBufferPointer<Float>
    /// d²/dε² f(θ + εv, x) at ε = 0, i.e. vᵀ·H·v per output (nil after a first-order pass).
    public let second: UnsafeBufferPointer<Float>?
}

/// Zero input tangents (ẋ = ẍ = 0 for parameter-only derivatives) and the layers cast once.
struct SequentialTangentState {
    var layers: [any TangentLayer]?
    var zeroInput: FloatBuffer?
}

extension Sequential {
    /// The layers as `TangentLayer`s; throws naming the first layer that is not one. Call it when a
    /// model is set up for diagnostics, so an unsupported layer is reported before any training.
    public func tangentLayers() throws -> [any TangentLayer] {
        if let layers = tangentState.layers { return layers }
        var result: [any TangentLayer] = []
        for (i, layer) in layers.enumerated() {
            guard let t = layer as? any TangentLayer else { throw TangentUnsupportedError(layerIndex: i, layer: layer.summary) }
            // A composite conforms whatever it holds: refuse here, before any work, if an inner
            // layer has no forward-mode pass (it would otherwise stop mid-pass).
            if let inner = (layer as? any CompositeLayer)?.firstLayerWithoutTangent {
                throw TangentUnsupportedError(layerIndex: i, layer: "\(layer.summary) holding \(inner)")
            }
            result.append(t)
        }
        tangentState.layers = result
        return result
    }

    /// The whole model as one `TangentLayer` call: (y, ẏ, ÿ) for input path x + εẋ + ½ε²ẍ and
    /// parameter direction `direction` (store.count floats), chained through every layer. Results
    /// live in the last layer's tangent buffers. Precondition: every layer is a `TangentLayer`
    /// (check with `tangentLayers()` first). Training buffers are untouched, so a pending
    /// forward/backward pair survives.
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        precondition(rows <= batch, "Sequential.tangentForward: \(rows) rows, built for \(batch)")
        let chain: [any TangentLayer]
        do { chain = try tangentLayers() } catch { preconditionFailure("\(error)") }
        var h: (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) = (x, dx, ddx)
        for layer in chain { h = layer.tangentForward(h.y, h.dy, h.ddy, direction: direction, rows: rows) }
        return h
    }

    /// f, J·v and (when `secondOrder`) vᵀ·H·v per output on the first `rows` rows of `x`
    /// (rows × inputFeatures), for parameter direction `direction` (store.count floats): the input
    /// is held fixed (ẋ = ẍ = 0).
    public func taylor(x: UnsafeBufferPointer<Float>, direction: UnsafeBufferPointer<Float>, rows: Int,
                       secondOrder: Bool) -> TaylorOutputs {
        precondition(rows <= batch && x.count >= rows * inputFeatures,
                     "Sequential.taylor: \(rows) rows of \(inputFeatures) (built for \(batch)), \(x.count) values given")
        precondition(direction.count == store.count,
                     "Sequential.taylor: direction has \(direction.count) values, the model \(store.count) parameters")
        if tangentState.zeroInput == nil { tangentState.zeroInput = FloatBuffer(count: batch * inputFeatures) }
        let zero = UnsafePointer(tangentState.zeroInput!.pointer), n = rows * outputFeatures
        guard rows > 0, let x0 = x.baseAddress, let v = direction.baseAddress else {
            let empty = UnsafeBufferPointer<Float>(start: nil, count: 0)
            return TaylorOutputs(value: empty, first: empty, second: secondOrder ? empty : nil)
        }
        let r = tangentForward(x0, zero, secondOrder ? zero : nil, direction: v, rows: rows)
        return TaylorOutputs(value: UnsafeBufferPointer(start: r.y, count: n), first: UnsafeBufferPointer(start: r.dy, count: n),
                             second: r.ddy.map { UnsafeBufferPointer(start: $0, count: n) })
    }

    /// The Jacobian–vector product J(θ)·v on the first `rows` rows of `x`: rows × outputFeatures,
    /// valid until the next tangent pass. Exact forward mode, not finite differences.
    public func jvp(x: UnsafeBufferPointer<Float>, direction: UnsafeBufferPointer<Float>, rows: Int) -> UnsafeBufferPointer<Float> {
        taylor(x: x, direction: direction, rows: rows, secondOrder: false).first
    }

    /// The second directional derivative vᵀ·H(θ)·v of every output on the first `rows` rows of `x`
    /// (H the Hessian of that output with respect to the parameters), from the second-order
    /// Taylor pass: rows × outputFeatures, valid until the next tangent pass.
    public func secondDirectionalDerivative(x: UnsafeBufferPointer<Float>, direction: UnsafeBufferPointer<Float>,
                                            rows: Int) -> UnsafeBufferPointer<Float> {
        taylor(x: x, direction: direction, rows: rows, secondOrder: true).second!
    }

    /// `jvp` on arrays, copied out.
    public func jvp(x: [Float], direction: [Float], rows: Int) -> [Float] {
        x.withUnsafeBufferPointer { xs in direction.withUnsafeBufferPointer { Array(jvp(x: xs, direction: $0, rows: rows)) } }
    }

    /// `secondDirectionalDerivative` on arrays, copied out.
    public func secondDirectionalDerivative(x: [Float], direction: [Float], rows: Int) -> [Float] {
        x.withUnsafeBufferPointer { xs in
            direction.withUnsafeBufferPointer { Array(secondDirectionalDerivative(x: xs, direction: $0, rows: rows)) }
        }
    }
}
