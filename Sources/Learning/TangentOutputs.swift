/// The three output buffers of a `tangentForward` (y, ẏ, ÿ), allocated on the first call for the
/// whole batch, so training never pays for them and later calls allocate nothing.
struct TangentOutputs {
    private(set) var value = FloatBuffer(count: 0)
    private(set) var first = FloatBuffer(count: 0)
    private(set) var second = FloatBuffer(count: 0)

    /// Makes sure `count` floats are available in y and ẏ, and in ÿ when `secondOrder`.
    mutating func prepare(count: Int, secondOrder: Bool) {
        if value.count < count {
            value = FloatBuffer(count: count)
            first = FloatBuffer(count: count)
        }
        if secondOrder && second.count < count { second = FloatBuffer(count: count) }
    }

    /// (y, ẏ, ÿ or nil) as a `tangentForward` returns them.
    func result(secondOrder: Bool) -> (y: UnsafePointer<Float>, dy: UnsafePointer<Float>, ddy: UnsafePointer<Float>?) {
        (UnsafePointer(value.pointer), UnsafePointer(first.pointer), secondOrder ? UnsafePointer(second.pointer) : nil)
    }
}
