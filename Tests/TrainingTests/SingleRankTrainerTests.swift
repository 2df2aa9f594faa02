import CounterRNG
import Learning
import Parallel
import XCTest

@testable import Training

/// Regression samples keyed by index: x ~ N(0, 1), y = sin(x₀) + x₁/2.
final class Waves: SampleSource {
    let count: Int
    let inputShape = TensorShape.vector(3)
    let targetKind = TargetKind.values(1)
    init(count: Int) { self.count = count }
    func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>,
              targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
        let rng = CounterRNG(seed: 4, stream: 0)
        for (r, i) in indices.enumerated() {
            for j in 0 ..< 3 { inputs[r * 3 + j] = Float(rng.normal(at: UInt64(i * 3 + j))) }
            targets![r] = sin(inputs[r * 3]) + inputs[r * 3 + 1] / 2
        }
    }
}

/// The trainer on one rank (MPI initialised as a singleton): it must be exactly the plain loop, and
/// refuse bad configurations with the key named before any work.
final class SingleRankTrainerTests: XCTestCase {
    let world = Communicator.world

    func model(batch: Int) throws -> Sequential {
        try Sequential(inputFeatures: 3, batch: batch, seed: 2, [Dense(outputs: 16), SiLU(), Dense(outputs: 1)])
    }

    func trainer(batch: Int, source: any SampleSource = Waves(count: 50), dropLast: Bool = true,
                 modelBatch: Int? = nil) throws -> DataParallelTrainer {
        let m = try model(batch: modelBatch ?? batch)
        return try DataParallelTrainer(model: m, loss: MSE(features: 1, batch: modelBatch ?? batch),
                                       optimizer: Adam(parameterCount: m.store.count), schedule: .constant(1e-2),
                                       training: source, configuration: TrainingConfiguration(globalBatch: batch, seed: 9, dropLast: dropLast),
                                       communicator: world)
    }

    func testCopiesOfTheParametersDoNotMoveWithTraining() throws {
        // The trainer writes through raw pointers; a copy kept across steps (θ₀ of a diagnostic, an
        // exported state) must keep its values instead of sharing the store's buffer.
        let t = try trainer(batch: 8)
        let theta0 = t.model.store.values
        let frozen = theta0.map { $0 }  // a separate buffer, for the comparison
        let state = try t.exportState()
        for _ in 0 ..< 3 { try t.trainStep() }
        XCTAssertEqual(theta0, frozen)
        XCTAssertEqual(state.parameters, frozen)
        XCTAssertNotEqual(t.model.store.values, frozen, "training moved the parameters")
    }

    func testOneRankIsExactlyThePlainTrainingLoop() throws {
        let t = try trainer(batch: 8, dropLast: false)
        let m = try model(batch: 8), loss = MSE(features: 1, batch: 8), data = Waves(count: 50)
        var adam = Adam(parameterCount: m.store.count, schedule: .constant(1e-2))
        var x = [Float](repeating: 0, count: 24), y = [Float](repeating: 0, count: 8)
        let shuffle = EpochShuffle(count: 50, seed: 9)
        for s in 0 ..< 9 {  // 7 batches per epoch (the last of 2): crosses an epoch
            let metrics = try t.trainStep()
            let epoch = s / 7, b = s % 7
            let share = BatchSharding.rankShare(of: shuffle.permutation(epoch: epoch), batch: b, batchSize: 8, rank: 0, ranks: 1)
            try share.withUnsafeBufferPointer { i in try data.load(indices: i, inputs: &x, targets: &y, labels: nil) }
            let out = m.forward(x, rows: share.count)
            let l = y.withUnsafeBufferPointer { loss.evaluate(out, $0, rows: share.count, globalBatch: share.count) }
            m.store.zeroGradients()
            m.backward(loss.gradient, rows: share.count)
            adam.step(parameters: &m.store.values, gradients: m.store.gradients)
            XCTAssertEqual(metrics.loss, Double(l), "step \(s)")
            XCTAssertEqual(metrics.samples, share.count)
            XCTAssertEqual(metrics.epoch, epoch)
            XCTAssertNil(metrics.accuracy)
        }
        XCTAssertEqual(t.model.store.values, m.store.values, "bit-identical to the plain loop")
        XCTAssertEqual(t.step, 9)
        XCTAssertEqual(t.epoch, 1)
        XCTAssertEqual(t.batchInEpoch, 2)
        XCTAssertEqual(t.overlap.communicationSeconds, 0, "one rank does not communicate")
    }

    /// Waves that record the passes the trainer announces before each load.
    final class PassRecorder: SampleSource {
        let waves = Waves(count: 20)
        var passes: [Int] = []
        var count: Int { waves.count }
        var inputShape: TensorShape { waves.inputShape }
        var targetKind: TargetKind { waves.targetKind }
        func beginPass(_ pass: Int) { passes.append(pass) }
        func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>,
                  targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
            try waves.load(indices: indices, inputs: inputs, targets: targets, labels: labels)
        }
    }

    func testSourcesAreToldTheGlobalStepAndTheEvaluationPass() throws {
        // Diffusion pairs key their noise by (seed, sample, step): the step a source is told must be the
        // trainer's global step, continue after a restore, and be one fixed value for evaluations.
        let source = PassRecorder(), held = PassRecorder()
        let m = try model(batch: 8)
        let t = try DataParallelTrainer(model: m, loss: MSE(features: 1, batch: 8), optimizer: Adam(parameterCount: m.store.count),
                                        schedule: .constant(1e-2), training: source, evaluation: held,
                                        configuration: TrainingConfiguration(globalBatch: 8, seed: 9), communicator: world)
        for _ in 0 ..< 4 { try t.trainStep() }
        XCTAssertNotNil(try t.evaluate())
        let state = try t.exportState()
        try t.trainStep()
        XCTAssertEqual(source.passes, [0, 1, 2, 3, 4])
        XCTAssertEqual(held.passes, [SamplePass.evaluation])
        try t.restore(state)
        try t.trainStep()
        XCTAssertEqual(source.passes.last, 4, "a restored trainer repeats step 4's draws")
    }

    func testBadConfigurationsAreRefusedWithTheKeyNamed() throws {
        func message(_ make: () throws -> Any) -> String {
            do { _ = try make(); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message { try self.trainer(batch: 0, modelBatch: 4) }.hasPrefix("train.batch:"))
        XCTAssertTrue(message { try self.trainer(batch: 8, modelBatch: 4) }.contains("build it with batch 8"))
        XCTAssertTrue(message { try self.trainer(batch: 64) }.contains("larger than the 50 training samples"))
        let wrongShape = Waves(count: 50)
        XCTAssertTrue(message {
            let m = try Sequential(inputFeatures: 4, batch: 8, seed: 1, [Dense(outputs: 1)])
            return try DataParallelTrainer(model: m, loss: MSE(features: 1, batch: 8), optimizer: Adam(parameterCount: m.store.count),
                                           schedule: .constant(1e-3), training: wrongShape,
                                           configuration: TrainingConfiguration(globalBatch: 8), communicator: self.world)
        }.contains("shape [3]"))
        XCTAssertTrue(message {
            let m = try self.model(batch: 8)
            return try DataParallelTrainer(model: m, loss: SoftmaxCrossEntropy(classes: 1, batch: 8),
                                           optimizer: Adam(parameterCount: m.store.count), schedule: .constant(1e-3),
                                           training: wrongShape, configuration: TrainingConfiguration(globalBatch: 8), communicator: self.world)
        }.contains("target values"))
        XCTAssertTrue(message {
            let m = try self.model(batch: 8)
            return try DataParallelTrainer(model: m, loss: MSE(features: 1, batch: 8), optimizer: Adam(parameterCount: m.store.count),
                                           schedule: .constant(1e-3), training: wrongShape,
                                           configuration: TrainingConfiguration(globalBatch: 8, clipNorm: -1), communicator: self.world)
        }.hasPrefix("train.clip_norm:"))
    }

    func testShareCapacityCoversTheRemainderRanks() {
        XCTAssertEqual(DataParallelTrainer.localCapacity(globalBatch: 10, ranks: 4), 3)
        XCTAssertEqual(DataParallelTrainer.localCapacity(globalBatch: 12, ranks: 4), 3)
        XCTAssertEqual(DataParallelTrainer.localCapacity(globalBatch: 3, ranks: 4), 1)
    }
}
