/// The three output buffers of a layer's `tangentForward` — y, ẏ and ÿ, each `count` floats —
/// kept apart from the training buffers so a tangent pass leaves a pending forward/backward pair
/// alone. Allocated on the first call (models that never take tangents pay nothing); ÿ only when
/// a second-order pass first asks for it. Later calls allocate nothing.
struct TangentOutputs {
    private var value: FloatBuffer?
    private var first: FloatBuffer?
    private var second: FloatBuffer?

    /// The buffers for one call, allocating what is missing; `second` is nil unless `secondOrder`.
    mutating func prepare(count: Int, secondOrder: Bool)
        -> (y: UnsafeMutablePointer<Float>, dy: UnsafeMutablePointer<Float>, ddy: UnsafeMutablePointer<Float>?) {
        if value == nil { value = FloatBuffer(count: count) }
        if first == nil { first = FloatBuffer(count: count) }
        if secondOrder && second == nil { second = FloatBuffer(count: count) }
        return (value!.pointer, first!.pointer, secondOrder ? second!.pointer : nil)
    }
}
