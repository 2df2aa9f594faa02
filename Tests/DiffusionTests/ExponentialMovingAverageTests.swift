import Diffusion
import Learning
import XCTest

final class ExponentialMovingAverageTests: XCTestCase {
    func store(_ values: [Float]) -> ParameterStore {
        let s = ParameterStore()
        _ = s.register(name: "w", shape: [values.count])
        s.values = values
        return s
    }

    /// Without warm-up, θ̄_n = θ + dⁿ (θ̄_0 − θ) for constant θ; with warm-up the decays are
    /// d_k = min(d, (1 + k)/(10 + k)), so θ̄_n − θ = Π d_k (θ̄_0 − θ).
    func testAverageOfConstantParametersAgainstTheClosedForm() throws {
        let model = store([1, -2, 0.5])
        var plain = try ExponentialMovingAverage(of: model, decay: 0.9, warmup: false)
        var warm = try ExponentialMovingAverage(of: model, decay: 0.9, warmup: true)
        model.values = [3, 0, 0.5]
        var product = 1.0
        for k in 0 ..< 20 {
            XCTAssertEqual(warm.currentDecay, min(0.9, Double(1 + k) / Double(10 + k)), accuracy: 1e-15)
            product *= warm.currentDecay
            try plain.update(from: model)
            try warm.update(from: model)
        }
        let start: [Double] = [1, -2, 0.5], target: [Double] = [3, 0, 0.5]
        for i in 0 ..< 3 {
            XCTAssertEqual(plain.state.average[i], target[i] + pow(0.9, 20) * (start[i] - target[i]), accuracy: 1e-12)
            XCTAssertEqual(warm.state.average[i], target[i] + product * (start[i] - target[i]), accuracy: 1e-12)
        }
        XCTAssertEqual(plain.state.updates, 20)
        try plain.copyAverage(to: model)
        XCTAssertEqual(model.values[0], Float(plain.state.average[0]))
    }

    /// With d = 0.9999 each increment (1 − d)(θ − θ̄) is far below float32's resolution of θ̄ ≈ 1; the float64
    /// average still follows θ̄_n = θ + dⁿ(θ̄_0 − θ).
    func testSlowAverageKeepsIncrementsFloat32WouldDrop() throws {
        let model = store([1])
        var ema = try ExponentialMovingAverage(of: model, decay: 0.9999, warmup: false)
        let theta = Float(1) + Float(1).ulp * 8  // 1 + 2^-20
        model.values = [theta]
        var float32Average: Float = 1
        for _ in 0 ..< 5000 {
            try ema.update(from: model)
            float32Average += Float(1 - 0.9999) * (theta - float32Average)
        }
        let expected = Double(theta) + pow(0.9999, 5000) * (1 - Double(theta))
        XCTAssertEqual(ema.state.average[0], expected, accuracy: 1e-12)
        XCTAssertEqual(float32Average, 1, "float32 would not move (the reason the average is float64)")
    }

    /// Saving the state and restoring it continues the average exactly.
    func testSaveAndRestoreContinuesExactly() throws {
        let model = store([0, 0])
        var ema = try ExponentialMovingAverage(of: model, decay: 0.99)
        for k in 0 ..< 7 { model.values = [Float(k), -Float(k) / 2]; try ema.update(from: model) }
        let saved = ema.state
        var restored = try ExponentialMovingAverage(state: ExponentialMovingAverage.State(average: saved.average, updates: saved.updates), decay: 0.99)
        for k in 7 ..< 12 {
            model.values = [Float(k), -Float(k) / 2]
            try ema.update(from: model)
            try restored.update(from: model)
        }
        XCTAssertEqual(restored, ema)
    }

    func testBadSettingsAreRefused() throws {
        let model = store([1, 2])
        XCTAssertThrowsError(try ExponentialMovingAverage(of: model, decay: 1)) { XCTAssertTrue("\($0)".contains("decay")) }
        XCTAssertThrowsError(try ExponentialMovingAverage(of: model, decay: -0.1))
        XCTAssertThrowsError(try ExponentialMovingAverage(state: .init(average: [.nan], updates: 0), decay: 0.9)) { XCTAssertTrue("\($0)".contains("damaged")) }
        XCTAssertThrowsError(try ExponentialMovingAverage(state: .init(average: [1], updates: -1), decay: 0.9))
        var ema = try ExponentialMovingAverage(state: .init(average: [1, 2, 3], updates: 0), decay: 0.9)
        XCTAssertThrowsError(try ema.update(from: model)) { XCTAssertTrue("\($0)".contains("3 parameters but the model has 2")) }
        XCTAssertThrowsError(try ema.copyAverage(to: model))
    }
}
