/// Where one named parameter tensor lives inside a model's flat buffers.
public struct ParameterView: Sendable, Equatable {
    /// Name for writing the model (for example "2.weight": layer index, then the tensor).
    public let name: String
    /// Row-major shape of the tensor (a Dense weight is [outputs, inputs]).
    public let shape: [Int]
    /// First element in `ParameterStore.values` and `ParameterStore.gradients`.
    public let offset: Int
    /// Number of elements (the product of `shape`).
    public let count: Int
    /// The element range of this tensor in both flat buffers.
    public var range: Range<Int> { offset ..< offset + count }
}

/// All parameters of one model in ONE flat buffer, their gradients in ONE other.
///
/// Layers hold `ParameterView`s (offset, count) instead of arrays of their own, so an
/// optimiser step is one loop over `values`/`gradients` and a data-parallel allreduce is one
/// call on `gradients`. Keep no copies of the arrays across a step: a live copy makes the next
/// write copy-on-write, which allocates and moves the buffer.
public final class ParameterStore {
    /// The parameters, tensor after tensor in registration (layer) order.
    public var values: [Float] = []
    /// d(loss)/d(values), same layout. Backward passes ADD into it (so micro-batches accumulate);
    /// call `zeroGradients()` before each step.
    public var gradients: [Float] = []
    /// Every tensor's name, shape and place, in layer order.
    public private(set) var views: [ParameterView] = []

    /// An empty store; layers register their tensors while a model is built.
    public init() {}

    /// Total number of parameters.
    public var count: Int { values.count }

    /// Appends a zero tensor of `shape` to both buffers and returns where it is.
    /// Only called at model build time, so growing the arrays here is fine.
    public func register(name: String, shape: [Int]) -> ParameterView {
        let n = shape.reduce(1, *)
        let view = ParameterView(name: name, shape: shape, offset: values.count, count: n)
        values.append(contentsOf: repeatElement(0, count: n))
        gradients.append(contentsOf: repeatElement(0, count: n))
        views.append(view)
        return view
    }

    /// Sets every gradient to zero, in place (no allocation).
    public func zeroGradients() {
        gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
