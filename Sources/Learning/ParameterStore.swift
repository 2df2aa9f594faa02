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
/// optimiser step is one loop over the values and gradients and a data-parallel reduction is
/// one call on the gradients. Hot code reaches the buffers through `withUnsafeValues`,
/// `withUnsafeMutableValues`, `withUnsafeGradients` and `withUnsafeMutableGradients` (no copy);
/// `values` and `gradients` read and write them as arrays.
///
/// The buffers are the store's own arrays, or memory placed outside it by
/// `useExternalStorage(values:gradients:copyValues:)` (the data-parallel trainer puts them in a
/// node's shared memory, where the ranks of a node share ONE parameter buffer). With external
/// storage, `values` and `gradients` copy (reading builds an array, writing copies it in).
/// Keep no copies of the arrays across a step in the store's own mode: a live copy makes the next
/// mutable access copy-on-write, which allocates and moves the buffer.
public final class ParameterStore {
    private var ownValues: [Float] = []
    private var ownGradients: [Float] = []
    private var external: (values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>)?
    /// Every tensor's name, shape and place, in layer order.
    public private(set) var views: [ParameterView] = []
    /// Total number of parameters.
    public private(set) var count = 0

    /// An empty store; layers register their tensors while a model is built.
    public init() {}

    /// The parameters, tensor after tensor in registration (layer) order. Assigning needs an
    /// array of `count` elements.
    public var values: [Float] {
        _read {
            if let e = external { yield Array(UnsafeBufferPointer(start: e.values, count: count)) } else { yield ownValues }
        }
        _modify {
            if let e = external {
                var copy = Array(UnsafeBufferPointer(start: e.values, count: count))
                defer { Self.copyBack(copy, to: e.values, count: count, "values") }
                yield &copy
            } else {
                yield &ownValues
                precondition(ownValues.count == count, "ParameterStore: values must keep \(count) elements, got \(ownValues.count)")
            }
        }
    }

    /// d(loss)/d(values), same layout. Backward passes ADD into it (so micro-batches accumulate);
    /// call `zeroGradients()` before each step.
    public var gradients: [Float] {
        _read {
            if let e = external { yield Array(UnsafeBufferPointer(start: e.gradients, count: count)) } else { yield ownGradients }
        }
        _modify {
            if let e = external {
                var copy = Array(UnsafeBufferPointer(start: e.gradients, count: count))
                defer { Self.copyBack(copy, to: e.gradients, count: count, "gradients") }
                yield &copy
            } else {
                yield &ownGradients
                precondition(ownGradients.count == count, "ParameterStore: gradients must keep \(count) elements, got \(ownGradients.count)")
            }
        }
    }

    private static func copyBack(_ a: [Float], to p: UnsafeMutablePointer<Float>, count: Int, _ what: String) {
        precondition(a.count == count, "ParameterStore: \(what) must keep \(count) elements, got \(a.count)")
        a.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: count) }
    }

    /// Calls `body` with the parameters in place (read only).
    public func withUnsafeValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if let e = external { return try body(UnsafeBufferPointer(start: e.values, count: count)) }
        return try ownValues.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the parameters in place, writable.
    public func withUnsafeMutableValues<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if let e = external { return try body(UnsafeMutableBufferPointer(start: e.values, count: count)) }
        return try ownValues.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Calls `body` with the gradients in place (read only).
    public func withUnsafeGradients<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if let e = external { return try body(UnsafeBufferPointer(start: e.gradients, count: count)) }
        return try ownGradients.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the gradients in place, writable.
    public func withUnsafeMutableGradients<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        if let e = external { return try body(UnsafeMutableBufferPointer(start: e.gradients, count: count)) }
        return try ownGradients.withUnsafeMutableBufferPointer { try body($0) }
    }

    /// Whether the buffers live outside the store (`useExternalStorage`).
    public var usesExternalStorage: Bool { external != nil }

    /// Moves both buffers into memory the caller owns and keeps valid (and does not move) until
    /// `useOwnStorage()`: each `count` floats, 64-byte aligned. The gradients are zeroed; the
    /// parameters are copied in when `copyValues` (false: the memory already holds them, as when
    /// several stores share one parameter buffer and one of them copied). The store's own arrays
    /// are freed.
    public func useExternalStorage(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>, copyValues: Bool) {
        precondition(external == nil, "ParameterStore: already on external storage")
        if copyValues { ownValues.withUnsafeBufferPointer { values.update(from: $0.baseAddress!, count: count) } }
        gradients.update(repeating: 0, count: count)
        external = (values, gradients)
        ownValues = []
        ownGradients = []
    }

    /// Copies both buffers back into arrays of the store's own and forgets the external memory
    /// (which the caller may then free). Nothing happens on the store's own storage.
    public func useOwnStorage() {
        guard let e = external else { return }
        ownValues = Array(UnsafeBufferPointer(start: e.values, count: count))
        ownGradients = Array(UnsafeBufferPointer(start: e.gradients, count: count))
        external = nil
    }

    /// Appends a zero tensor of `shape` to both buffers and returns where it is.
    /// Only called at model build time, so growing the arrays here is fine.
    public func register(name: String, shape: [Int]) -> ParameterView {
        precondition(external == nil, "ParameterStore: cannot register \(name) on external storage")
        let n = shape.reduce(1, *)
        let view = ParameterView(name: name, shape: shape, offset: count, count: n)
        ownValues.append(contentsOf: repeatElement(0, count: n))
        ownGradients.append(contentsOf: repeatElement(0, count: n))
        count += n
        views.append(view)
        return view
    }

    /// Sets every gradient to zero, in place (no allocation).
    public func zeroGradients() {
        withUnsafeMutableGradients { $0.update(repeating: 0) }
    }
}
