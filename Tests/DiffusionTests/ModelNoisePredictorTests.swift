import Diffusion
import Learning
import XCTest

/// The adapter from a Learning model to the samplers: the row it feeds the network (x_t then t) and
/// the cutting of large calls into chunks of the model's batch.
final class ModelNoisePredictorTests: XCTestCase {
    /// A dense model n + 1 → n with W = [I | 1000·1] and b = 0: ε̂_i = x_i + 1000 t exactly, so the
    /// output shows where every value of the row went (small integers and halves are exact in float32).
    func identityPlusTime(n: Int, batch: Int) throws -> Sequential {
        let model = try Sequential(inputFeatures: n + 1, batch: batch, seed: 1, [Dense(outputs: n)])
        model.store.withUnsafeMutableValues { v in
            for i in v.indices { v[i] = 0 }
            let w = model.store.views.first { $0.name.hasSuffix("weight") }!
            for i in 0 ..< n {
                v[w.offset + i * (n + 1) + i] = 1
                v[w.offset + i * (n + 1) + n] = 1000
            }
        }
        return model
    }

    func testRowsAreTheSampleThenItsTimeStep() throws {
        let n = 5, count = 7
        let predictor = try ModelNoisePredictor(model: identityPlusTime(n: n, batch: 3))
        XCTAssertEqual(predictor.elementsPerSample, n)
        let x = (0 ..< count * n).map { Float($0) * 0.5 - 3 }
        let t = [0, 4, 9, 17, 3, 999, 1]
        let y = try predictor.predictNoise(x, timesteps: t)
        XCTAssertEqual(y.count, x.count)
        for b in 0 ..< count {
            for i in 0 ..< n { XCTAssertEqual(y[b * n + i], x[b * n + i] + 1000 * Float(t[b]), "sample \(b), value \(i)") }
        }
    }

    /// A U-Net (GroupNorm per sample, no batch statistics) gives every sample the same ε̂ whether the call
    /// is one forward of batch 8 or chunks of 3, 3 and 2 (same seed, so the same weights); bit for bit.
    func testChunkingGivesTheSameResultAsOneBatch() throws {
        let side = 8, n = side * side, count = 8
        let configuration = UNet.Configuration(levels: 2, channels: 4, groups: 2, zeroInitialOutputs: false)
        func unet(batch: Int) throws -> ModelNoisePredictor {
            try ModelNoisePredictor(model: Sequential(input: .vector(n + 1), batch: batch, seed: 7,
                                                      [UNet(field: .image(height: side, width: side, channels: 1), configuration: configuration)]))
        }
        let x = (0 ..< count * n).map { Float(sin(Double($0) * 0.37)) }
        let t = (0 ..< count).map { 11 * $0 + 2 }
        let whole = try unet(batch: count).predictNoise(x, timesteps: t)
        let chunked = try unet(batch: 3).predictNoise(x, timesteps: t)
        XCTAssertEqual(whole, chunked)
        XCTAssertTrue(whole.contains { $0 != 0 }, "an untrained U-Net without zeroed outputs predicts something")
        // And the t column matters: the same fields at other time steps give another ε̂.
        let shifted = try unet(batch: 3).predictNoise(x, timesteps: t.map { $0 + 1 })
        XCTAssertNotEqual(whole, shifted)
    }

    func testRefusesAModelThatIsNotSampleThenTime() throws {
        let model = try Sequential(inputFeatures: 6, batch: 2, seed: 1, [Dense(outputs: 6)])
        XCTAssertThrowsError(try ModelNoisePredictor(model: model)) { error in
            XCTAssertTrue("\(error)".contains("n + 1"), "\(error)")
        }
        let predictor = try ModelNoisePredictor(model: identityPlusTime(n: 3, batch: 2))
        XCTAssertThrowsError(try predictor.predictNoise([1, 2, 3, 4], timesteps: [0, 1]))
    }
}
