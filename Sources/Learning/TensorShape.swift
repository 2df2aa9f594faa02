/// The shape of ONE sample as a layer sees it: `[features]` for dense rows, `[height, width,
/// channels]` for images (NHWC without the batch axis). A batch is `rows` such samples stored one
/// after the other, so every layer still takes and returns rows × `elements` floats.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible {
    /// Extents, outermost first.
    public let dims: [Int]

    /// A shape with the given extents (each at least 1).
    public init(_ dims: [Int]) {
        precondition(!dims.isEmpty && dims.allSatisfy { $0 > 0 }, "TensorShape needs positive extents, got \(dims)")
        self.dims = dims
    }

    /// A row of `features` values.
    public static func vector(_ features: Int) -> TensorShape { TensorShape([features]) }

    /// An NHWC image sample.
    public static func image(height: Int, width: Int, channels: Int) -> TensorShape {
        TensorShape([height, width, channels])
    }

    /// Number of floats per sample (the product of `dims`), overflow-checked.
    public var elements: Int {
        dims.reduce(1) { a, d in
            let (p, o) = a.multipliedReportingOverflow(by: d)
            precondition(!o, "TensorShape \(dims) has more elements than Int can count")
            return p
        }
    }

    /// Whether this is an image sample [H, W, C].
    public var isImage: Bool { dims.count == 3 }
    /// Image height (dims[0]); only for images.
    public var height: Int { precondition(isImage, "\(self) is not an image shape"); return dims[0] }
    /// Image width (dims[1]); only for images.
    public var width: Int { precondition(isImage, "\(self) is not an image shape"); return dims[1] }
    /// Image channels (dims[2]); only for images.
    public var channels: Int { precondition(isImage, "\(self) is not an image shape"); return dims[2] }

    /// "[64]" or "[32, 32, 16]".
    public var description: String { "\(dims)" }
}

/// What a layer gets while its model is built: the batch it must hold, where its parameters go
/// and which random stream initialises them.
///
/// A layer's place in the model is a path: `[2]` is the third layer of a `Sequential`, `[2, 0]`
/// the first layer inside a composite at position 2. Tensor names ("2.0.weight") and the
/// initialisation stream come from the path, so a layer's draw depends on the seed and its place
/// only, never on the batch or on the other layers.
public struct BuildContext {
    /// Rows (samples) every buffer must hold.
    public let batch: Int
    /// Model seed.
    public let seed: UInt64
    /// Where parameters are registered.
    public let store: ParameterStore
    /// The layer's place in the model.
    public let path: [Int]

    /// The context of the top-level layer at `index`.
    public init(batch: Int, seed: UInt64, store: ParameterStore, path: [Int]) {
        self.batch = batch
        self.seed = seed
        self.store = store
        self.path = path
    }

    /// The context of the `i`-th layer inside this one (composites).
    public func child(_ i: Int) -> BuildContext {
        BuildContext(batch: batch, seed: seed, store: store, path: path + [i])
    }

    /// "2" or "2.0": the prefix of this layer's tensor names.
    public var name: String { path.map(String.init).joined(separator: ".") }

    /// Registers this layer's tensor `tensor` ("weight", "bias", …) as "path.tensor".
    public func register(_ tensor: String, shape: [Int]) -> ParameterView {
        store.register(name: "\(name).\(tensor)", shape: shape)
    }

    /// CounterRNG stream of this layer: the index itself for a top-level layer (so a model's
    /// initialisation is unchanged when it is wrapped), a 64-bit mix of the path below that.
    public var stream: UInt64 {
        guard path.count > 1 else { return UInt64(path.first ?? 0) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for p in path { h = (h ^ UInt64(UInt(bitPattern: p))) &* 0x100_0000_01b3 }
        return h | (1 << 63)  // never equal to a top-level index
    }

    /// A shape error for this layer: `expected` and `actual` are per-sample shapes.
    public func shapeError(_ layer: String, expected: TensorShape, actual: TensorShape) -> ShapeError {
        ShapeError(layerIndex: path.first ?? 0, layer: path.count > 1 ? "\(name): \(layer)" : layer,
                   expected: [batch] + expected.dims, actual: [batch] + actual.dims)
    }
}
