import XCTest
@testable import JobTrain
import Training

/// How the `train.*` keys become the data-parallel trainer's configuration.
final class TrainerConfigurationTests: XCTestCase {
    func testTheTrainKeysBecomeTheTrainerConfiguration() throws {
        var p = TrainParameters()
        p.train.batch = 96
        p.train.seed = 7
        p.train.bucketMB = 0.5
        p.train.clipNorm = 0
        var c = try TrainJob.trainingConfiguration(p)
        XCTAssertEqual(c.globalBatch, 96)
        XCTAssertEqual(c.seed, 7)
        XCTAssertEqual(c.bucketBytes, 524_288, "MiB, as PyTorch's bucket_cap_mb")
        XCTAssertNil(c.clipNorm, "clip_norm = 0 is no clipping")
        XCTAssertTrue(c.dropLast, "an epoch is ⌊samples / batch⌋ steps")
        p.train.bucketMB = 25
        p.train.clipNorm = 2.5
        c = try TrainJob.trainingConfiguration(p)
        XCTAssertEqual(c.bucketBytes, GradientBucketPlan.defaultBucketBytes)
        XCTAssertEqual(c.clipNorm, 2.5)
    }

    func testABucketSizeWithoutAByteCountIsRefusedNamingTheKey() {
        var p = TrainParameters()
        for mb in [Double.infinity, .nan, 1e300, 1e-9] {
            p.train.bucketMB = mb
            XCTAssertThrowsError(try TrainJob.trainingConfiguration(p), "\(mb)") { e in
                XCTAssertTrue("\(e)".contains("train.bucket_mb"), "\(e)")
            }
        }
    }

    func testTheLossIsBuiltForTheTrainerRows() {
        XCTAssertEqual(TrainingLoss.mse(width: 3).makeLoss(rows: 5).gradient.count, 15)
        XCTAssertEqual(TrainingLoss.crossEntropy(classes: 4).makeLoss(rows: 2).features, 4)
        XCTAssertEqual(TrainingLoss.bceLogits(width: 1, fromLabels: true).makeLoss(rows: 7).gradient.count, 7)
    }
}
