import Diffusion
import Learning

/// The U-Net as the samplers' noise model: each row handed to the model is the sample's field
/// followed by its time step as one float (the U-Net's input row), so ε̂ = UNet(x_t, t).
/// The model must be built for at least the sampler's batch; rows are copied into a buffer kept
/// between calls (no allocation per step but the sampler's result array).
final class UNetNoisePredictor: NoisePredictor {
    let model: Sequential
    private let fieldElements: Int
    private var rows: [Float]

    /// Wraps `model` (a Sequential whose input rows are fieldElements + 1 floats).
    init(model: Sequential) {
        self.model = model
        fieldElements = model.outputFeatures
        precondition(model.inputFeatures == fieldElements + 1, "UNetNoisePredictor: the model's rows must be the field then t")
        rows = [Float](repeating: 0, count: model.batch * (fieldElements + 1))
    }

    func predictNoise(_ noisy: [Float], timesteps: [Int]) throws -> [Float] {
        let n = timesteps.count, f = fieldElements
        guard n <= model.batch, noisy.count == n * f else {
            throw BenchError("UNetNoisePredictor: \(n) samples of \(noisy.count / max(n, 1)) values, model built for \(model.batch) of \(f)")
        }
        rows.withUnsafeMutableBufferPointer { r in
            noisy.withUnsafeBufferPointer { x in
                for b in 0 ..< n {
                    (r.baseAddress! + b * (f + 1)).update(from: x.baseAddress! + b * f, count: f)
                    r[b * (f + 1) + f] = Float(timesteps[b])
                }
            }
        }
        return Array(rows.withUnsafeBufferPointer { model.forward($0, rows: n) })
    }
}
