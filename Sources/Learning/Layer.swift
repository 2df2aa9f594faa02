#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A shape mismatch found while a model is built (never in the hot loop).
public struct ShapeError: Error, Equatable, CustomStringConvertible {
    /// Position of the offending layer in the model.
    public let layerIndex: Int
    /// The layer's summary, for example "Dense(32→10)".
    public let layer: String
    /// The input shape the layer expects ([batch] + per-sample shape).
    public let expected: [Int]
    /// The shape it would receive.
    public let actual: [Int]

    /// Creates the error for layer `layerIndex`.
    public init(layerIndex: Int, layer: String, expected: [Int], actual: [Int]) {
        self.layerIndex = layerIndex
        self.layer = layer
        self.expected = expected
        self.actual = actual
    }

    /// One line naming the layer and both shapes.
    public var description: String {
        "layer \(layerIndex) (\(layer)) expects input shape \(expected) but receives \(actual)"
    }
}

/// One step of a model on batches of samples: rows × `TensorShape.elements` floats, each sample
/// row-major ([features], or NHWC [height, width, channels] for images).
///
/// `build` runs once: it checks the input shape, registers parameters, initialises them and
/// allocates every buffer for `context.batch` rows. `forward` and `backward` then only compute into
/// those buffers. The input given to `forward` must stay valid and unchanged until the matching
/// `backward` (layers keep a pointer to it instead of a copy); `Sequential` guarantees that.
public protocol Layer: AnyObject {
    /// Short description for errors and model files, for example "Dense(32→10)".
    var summary: String { get }
    /// Per-sample output shape; meaningful after `build`.
    var outputShape: TensorShape { get }
    /// Checks the input shape (throwing `context.shapeError`) and allocates for `context.batch`
    /// rows. Parameters are registered through `context`; random initialisation is keyed by
    /// (seed, `context.stream`, element) only. Returns the per-sample output shape.
    func build(input: TensorShape, context: BuildContext) throws -> TensorShape
    /// Computes the output of the first `rows` rows of `x` (rows × input elements) into the layer's
    /// own buffer and returns it (rows × outputFeatures).
    func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float>
    /// Given dL/dy (rows × outputFeatures) for the last `forward`, adds the parameter gradients into
    /// the store and returns dL/dx (rows × input elements) in the layer's own buffer.
    func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float>
    /// Called before `build` when nobody reads dL/dx (the first layer of a model): a layer may then
    /// skip computing it (Dense saves one GEMM per step) and return any pointer from `backward`.
    func omitInputGradient()
}

extension Layer {
    /// Floats per output sample.
    public var outputFeatures: Int { outputShape.elements }
    /// Default: compute dL/dx anyway (cheap for element-wise layers).
    public func omitInputGradient() {}
}

/// A float buffer allocated once and freed with its owner: stable address, no copy-on-write.
/// Zero-filled, by `calloc` rather than by writing zeros: the kernel maps a large buffer's pages on
/// first touch, so a buffer that is never written costs no resident memory (the gradient buffers of
/// a model that only runs forward, for sampling: about half of a U-Net's buffers).
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        guard let raw = calloc(max(count, 1), MemoryLayout<Float>.stride) else {
            fatalError("FloatBuffer: out of memory allocating \(count) floats")
        }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { free(pointer) }
}
