#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The transformer / DDPM embedding of a scalar time t (one value per sample, the step index or
/// a float): [sin(t·f_0), …, sin(t·f_{h−1}), cos(t·f_0), …, cos(t·f_{h−1})] with h = features/2
/// geometric frequencies f_k = 10000^(−k/(h−1)) from 1 down to 1/10000 (f_0 = 1 when h = 1).
/// Input [1], output [features]; no parameters. Backward gives the exact
/// dL/dt = Σ_k f_k·(cos(t·f_k)·dL/dsin_k − sin(t·f_k)·dL/dcos_k). The sines and cosines are
/// computed in double (t may be ~1000 and the phase must not lose float32 digits) and rounded once.
public final class SinusoidalTimeEmbedding: Layer {
    /// Output width (even).
    public let features: Int
    /// f_k, k < features/2.
    public let frequencies: [Double]
    private var batch = 0
    private var computesInputGradient = true
    private var output = FloatBuffer(count: 0)
    private var inputGradient = FloatBuffer(count: 0)
    private var lastInput: UnsafePointer<Float>?

    /// An embedding of `features` (even, ≥ 2) values.
    public init(features: Int) {
        precondition(features >= 2 && features % 2 == 0, "SinusoidalTimeEmbedding needs an even width ≥ 2, got \(features)")
        self.features = features
        let h = features / 2
        frequencies = (0 ..< h).map { k in h == 1 ? 1 : pow(10000, -Double(k) / Double(h - 1)) }
    }

    /// "SinusoidalTimeEmbedding(16)".
    public var summary: String { "SinusoidalTimeEmbedding(\(features))" }
    /// [features].
    public var outputShape: TensorShape { .vector(features) }

    /// Skips dL/dt.
    public func omitInputGradient() {
        precondition(batch == 0, "omitInputGradient must come before build")
        computesInputGradient = false
    }

    /// Takes one value per sample.
    public func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        precondition(batch == 0, "a layer instance belongs to one model; it is already built")
        guard input.elements == 1 else {
            throw context.shapeError("\(summary) takes one time value per sample", expected: .vector(1), actual: input)
        }
        batch = context.batch
        output = FloatBuffer(count: batch * features)
        inputGradient = FloatBuffer(count: computesInputGradient ? batch : 0)
        return outputShape
    }

    /// The embedding of each row's t.
    public func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        precondition(batch > 0 && rows <= batch, "SinusoidalTimeEmbedding.forward: \(rows) rows, built for \(batch)")
        lastInput = x
        let h = features / 2
        for r in 0 ..< rows {
            let t = Double(x[r]), y = output.pointer + r * features
            for k in 0 ..< h {
                let phase = t * frequencies[k]
                y[k] = Float(sin(phase))
                y[h + k] = Float(cos(phase))
            }
        }
        return UnsafePointer(output.pointer)
    }

    /// dL/dt per row (nothing after `omitInputGradient()`).
    public func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        guard let x = lastInput else { preconditionFailure("SinusoidalTimeEmbedding.backward before forward") }
        guard computesInputGradient else { return UnsafePointer(inputGradient.pointer) }
        let h = features / 2
        for r in 0 ..< rows {
            let t = Double(x[r]), g = dy + r * features
            var dt = 0.0
            for k in 0 ..< h {
                let f = frequencies[k], phase = t * f
                dt += f * (cos(phase) * Double(g[k]) - sin(phase) * Double(g[h + k]))
            }
            inputGradient.pointer[r] = Float(dt)
        }
        return UnsafePointer(inputGradient.pointer)
    }
}
