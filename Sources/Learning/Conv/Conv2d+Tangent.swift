/// The buffers of `Conv2d.tangentForward`, allocated on its first call.
final class TangentBuffers {
    let y: FloatBuffer, dy: FloatBuffer, ddy: FloatBuffer, term: FloatBuffer
    init(count: Int) {
        y = FloatBuffer(count: count); dy = FloatBuffer(count: count)
        ddy = FloatBuffer(count: count); term = FloatBuffer(count: count)
    }
}

extension Conv2d {
    /// The convolution is bilinear in (x, W), so along the direction (V, b_v) and the input path
    /// x + εẋ + ½ε²ẍ:
    ///   y = s_w·conv(x, W) + s_b·b,
    ///   ẏ = s_w·(conv(ẋ, W) + conv(x, V)) + s_b·b_v,
    ///   ÿ = s_w·(conv(ẍ, W) + 2·conv(ẋ, V)).
    /// Five convolutions through the layer's backend. It overwrites the backend's per-step state
    /// (the periodic halo): do not call it between a `forward` and its `backward`.
    public func tangentForward(_ x: UnsafePointer<Float>, _ dx: UnsafePointer<Float>, _ ddx: UnsafePointer<Float>?,
                               direction: UnsafePointer<Float>, rows: Int)
        -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        guard let store, let engine, let g = geometry else { preconditionFailure("Conv2d.tangentForward before build") }
        precondition(rows <= batch, "Conv2d.tangentForward: \(rows) rows, built for \(batch)")
        let t: TangentBuffers
        if let tangent { t = tangent } else { t = TangentBuffers(count: batch * g.outputElements); tangent = t }
        let n = rows * g.outputElements, term = t.term.pointer, (w, b) = (weight, bias)
        let v = direction + w.offset, bv = direction + b.offset
        store.withUnsafeValues { values in
            let wp = values.baseAddress! + w.offset, bp = values.baseAddress! + b.offset
            engine.forward(x, weights: wp, bias: bp, into: t.y.pointer, rows: rows)
            engine.forward(dx, weights: wp, bias: bv, into: t.dy.pointer, rows: rows)
            engine.forward(x, weights: v, bias: nil, into: term, rows: rows)
            for i in 0 ..< n { t.dy.pointer[i] += term[i] }
            if let ddx {
                engine.forward(ddx, weights: wp, bias: nil, into: t.ddy.pointer, rows: rows)
                engine.forward(dx, weights: v, bias: nil, into: term, rows: rows)
                for i in 0 ..< n { t.ddy.pointer[i] += 2 * term[i] }
            }
        }
        return (UnsafePointer(t.y.pointer), UnsafePointer(t.dy.pointer), ddx == nil ? nil : UnsafePointer(t.ddy.pointer))
    }
}
