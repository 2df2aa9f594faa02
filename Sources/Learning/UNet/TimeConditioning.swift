/// The per-sample diffusion-time embedding that every `ResidualBlock` of one model reads, and the
/// gradient they add back into it.
///
/// `Layer` has one input, so the time cannot travel through the blocks' arguments. Instead ONE
/// `TimeConditioned` layer (the top of a `UNet`) owns this object: it allocates the gradient at
/// build, publishes the embedding (rows × `features`, computed from each row's t) at the start of
/// every forward, clears the gradient before the blocks' backward and, after them, runs the
/// embedding MLP's backward on what the blocks accumulated. The blocks only hold a reference, so
/// a block is built with the object of the model it belongs to (checked at build).
public final class TimeConditioning {
    /// Width of the embedding each block reads.
    public let features: Int
    /// Rows the gradient holds; 0 until the owner is built.
    public private(set) var batch = 0
    /// The embedding of the current forward (the owner's MLP output); nil before the first forward.
    private(set) var values: UnsafePointer<Float>?
    /// dL/d(embedding), rows × features, accumulated by the blocks' backward.
    private(set) var gradient = FloatBuffer(count: 0)

    /// An embedding of `features` values per sample.
    public init(features: Int) {
        precondition(features > 0, "TimeConditioning needs at least one feature")
        self.features = features
    }

    /// Called once by the owner's build.
    func allocate(batch: Int) {
        precondition(self.batch == 0, "a TimeConditioning belongs to one TimeConditioned layer; it is already built")
        let (n, o) = batch.multipliedReportingOverflow(by: features)
        precondition(!o, "TimeConditioning: batch × features overflows")
        self.batch = batch
        gradient = FloatBuffer(count: n)
    }

    /// The owner's forward: the embedding the blocks read until the next forward.
    func publish(_ embedding: UnsafePointer<Float>) { values = embedding }

    /// The owner's backward, before the blocks': dL/d(embedding) = 0.
    func clearGradient(rows: Int) { gradient.pointer.update(repeating: 0, count: rows * features) }

    /// A block's backward: dL/d(embedding) += g (rows × features).
    func accumulate(_ g: UnsafePointer<Float>, rows: Int) {
        let d = gradient.pointer
        for i in 0 ..< rows * features { d[i] += g[i] }
    }

    /// The embedding of the current forward, for a block (the owner's forward has run).
    var current: UnsafePointer<Float> {
        guard let values else { preconditionFailure("TimeConditioning read before its owner's forward") }
        return values
    }
}
