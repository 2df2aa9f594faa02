import XCTest
@testable import JobKit
@testable import JobTrain

/// Bad diffusion `train` job files (a unet on field data): each refused before anything runs, with
/// the exact key named.
final class DiffusionValidationTests: XCTestCase, JobFileRefusals {
    static let base = """
        kind = "train"
        [data]
        kind = "gaussian-random-field"
        side = 16
        samples = 64
        test_samples = 8
        [model]
        [[model.layers]]
        type = "unet"
        levels = 2
        channels = 4
        groups = 2
        [train]
        steps = 4
        batch = 8

        """

    func testBaseIsValid() throws {
        let p = TrainParameters.decode(try load(Self.base).config)
        XCTAssertEqual(p.data.kind, .gaussianRandomField)
        XCTAssertEqual(p.diffusion.timesteps, 1000)
        XCTAssertEqual(p.diffusion.schedule, .cosine)
        let plan = try XCTUnwrap(TrainPlan.make(p, ranks: 2).plan)
        XCTAssertEqual(plan.data?.inputShape, .vector(16 * 16 + 1))
        XCTAssertEqual(plan.data?.target, .values(16 * 16))
        // Equal βs are a constant linear schedule, allowed (NoiseSchedule.linear needs start ≤ end).
        XCTAssertNoThrow(try load(Self.base, overrides: ["diffusion.schedule=linear", "diffusion.beta_start=0.01", "diffusion.beta_end=0.01"]))
        XCTAssertNoThrow(try load(Self.base, overrides: ["diffusion.ema_decay=0", "diffusion.prediction=velocity", "diffusion.timesteps=1"]))
    }

    /// Velocity prediction by default; ε-prediction with the cosine schedule is legal but warned about
    /// (its first sampling step divides the network's error by √ᾱ_{T−1} ≈ 5e−5).
    func testNoisePredictionWithTheCosineScheduleIsWarnedAbout() throws {
        let defaults = TrainParameters.decode(try load(Self.base).config)
        XCTAssertEqual(defaults.diffusion.prediction, .velocity)
        XCTAssertFalse(TrainJob.warnings(in: defaults).contains { $0.contains("diffusion.prediction") })
        let noise = TrainParameters.decode(try load(Self.base, overrides: ["diffusion.prediction=noise"]).config)
        let warned = TrainJob.warnings(in: noise).filter { $0.contains("diffusion.prediction = \"noise\" with the cosine schedule") }
        XCTAssertEqual(warned.count, 1, "\(TrainJob.warnings(in: noise))")
        let linear = TrainParameters.decode(try load(Self.base, overrides: ["diffusion.prediction=noise", "diffusion.schedule=linear"]).config)
        XCTAssertFalse(TrainJob.warnings(in: linear).contains { $0.contains("diffusion.prediction") })
    }

    func testDiffusionKeysAreRangeChecked() {
        assertRefused(["diffusion.schedule=linear", "diffusion.beta_start=0.02", "diffusion.beta_end=0.01"],
                      [("diffusion.beta_end", "below diffusion.beta_start = 0.02")])
        assertRefused(["diffusion.beta_start=0"], [("diffusion.beta_start", "0.0 is too small")])
        assertRefused(["diffusion.beta_end=1"], [("diffusion.beta_end", "1.0 is too large")])
        assertRefused(["diffusion.timesteps=0"], [("diffusion.timesteps", "0 is out of range")])
        assertRefused(["diffusion.timesteps=100001"], [("diffusion.timesteps", "100001 is out of range")])
        assertRefused(["diffusion.ema_decay=1"], [("diffusion.ema_decay", "1.0 is too large")])
        assertRefused(["diffusion.ema_decay=1.5"], [("diffusion.ema_decay", "1.5 is too large")])
        assertRefused(["diffusion.ema_decay=-0.1"], [("diffusion.ema_decay", "-0.1 is too small")])
        assertRefused(["diffusion.ema_decay=nan"], [("diffusion.ema_decay", "not a finite number")])
        assertRefused(["diffusion.prediction=noize"], [("diffusion.prediction", "did you mean \"noise\"")])
        assertRefused(["diffusion.schedule=cosin"], [("diffusion.schedule", "did you mean \"cosine\"")])
        // One problem each, not a second one from the loss resolution.
        assertRefused(["loss.kind=cross-entropy"], [("loss.kind", "regresses the noise")])
        assertRefused(["loss.kind=bce-logits"], [("loss.kind", "regresses the noise")])
    }

    func testATimestepCountPastInt64IsRefusedNamingTheKey() {
        // 2^63 is not a TOML integer: the override is refused as a value of the key, not a crash.
        let found = problems(Self.base, ["diffusion.timesteps=9223372036854775808"])
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.description.contains("diffusion.timesteps") ?? false, "\(found)")
    }

    func testTheModelAndTheDataMustBothBeDiffusion() {
        // A unet on data that is not a field, a field with a model that is not one unet.
        assertRefused(["data.kind=teacher-student", "data.dimension=8"],
                      [("data.kind", "the model is a unet"), ("model.layers[0]", "N² + 1 values")])
        assertRefused(["model.layers=[{type=\"dense\",units=256}]"], [("model.layers", "one unet layer")])
        assertRefused(["model.layers=[{type=\"unet\",levels=2,channels=4,groups=2},{type=\"relu\"}]"], [("model.layers", "one unet layer")])
        assertRefused(["data.kind=snapshots"], [("data.file", "required for data.kind = \"snapshots\"")])
        assertRefused(["data.k_max=9"], [("data.k_max", "above N/2 = 8")])
        assertRefused(["data.side=12", "model.layers=[{type=\"unet\",levels=4,channels=4,groups=2}]"],
                      [("model.layers[0]", "the side must be a multiple of 8")])
        assertRefused(["model.layers=[{type=\"unet\",levels=2,channels=6,groups=4}]"], [("model.layers[0]", "groups = 4 must divide")])
    }
}
