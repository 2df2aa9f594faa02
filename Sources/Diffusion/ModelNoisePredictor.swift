import Learning

/// A ``NoisePredictor`` backed by a Learning `Sequential` whose input row is a sample then its time step:
/// x_t (n values) ‖ t (the time-step index as a float), and whose output row is ε̂ (or v̂), n values: the
/// rows of ``DiffusionTrainingPairs`` and of a `UNet`.
///
/// The model is built for at most `model.batch` rows, so a larger call is cut into chunks of that many
/// rows, each run through `forward` in turn. Not thread-safe: the rows are assembled in one buffer.
public final class ModelNoisePredictor: NoisePredictor {
    /// The network (its parameters are whatever its store holds: trained or averaged weights).
    public let model: Sequential
    /// Values per sample n (the row is n + 1 wide).
    public let elementsPerSample: Int
    private var rows: [Float]

    /// Wraps `model`; throws unless its rows are n + 1 values in and n values out (n ≥ 1).
    public init(model: Sequential) throws {
        let n = model.outputFeatures
        guard n >= 1, model.inputFeatures == n + 1 else {
            throw DiffusionError("noise predictor: the model maps rows of \(model.inputFeatures) values to \(model.outputFeatures); a diffusion model maps a sample then t (n + 1 values) to n values")
        }
        self.model = model
        elementsPerSample = n
        rows = [Float](repeating: 0, count: model.batch * (n + 1))
    }

    /// ε̂ of `timesteps.count` samples laid one after another in `noisy`, in chunks of at most `model.batch`.
    public func predictNoise(_ noisy: [Float], timesteps: [Int]) throws -> [Float] {
        let n = elementsPerSample, count = timesteps.count
        guard noisy.count == count * n else {
            throw DiffusionError("noise predictor: \(noisy.count) values for \(count) samples of \(n)")
        }
        var out = [Float](repeating: 0, count: noisy.count)
        var start = 0
        while start < count {
            let chunk = min(model.batch, count - start)
            noisy.withUnsafeBufferPointer { x in
                rows.withUnsafeMutableBufferPointer { r in
                    for k in 0 ..< chunk {
                        let row = r.baseAddress! + k * (n + 1)
                        row.update(from: x.baseAddress! + (start + k) * n, count: n)
                        row[n] = Float(timesteps[start + k])
                    }
                }
            }
            let y = rows.withUnsafeBufferPointer { model.forward(UnsafeBufferPointer(rebasing: $0[0 ..< chunk * (n + 1)]), rows: chunk) }
            out.withUnsafeMutableBufferPointer { o in
                (o.baseAddress! + start * n).update(from: y.baseAddress!, count: chunk * n)
            }
            start += chunk
        }
        return out
    }
}
