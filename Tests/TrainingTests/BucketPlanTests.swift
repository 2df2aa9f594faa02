import Learning
import XCTest

@testable import Training

/// The gradient bucket plan: sizes, reverse layer order, readiness and coverage of every tensor once.
final class BucketPlanTests: XCTestCase {
    /// A model whose tensors have very different sizes, with parameter-free layers in between.
    func model() throws -> Sequential {
        try Sequential(inputFeatures: 30, batch: 2, seed: 1, [
            Dense(outputs: 40), ReLU(), Dense(outputs: 50), Tanh(), Dense(outputs: 5), Dense(outputs: 3),
        ])
    }

    func plan(_ m: Sequential, bytes: Int) -> GradientBucketPlan {
        GradientBucketPlan(views: m.store.views, layerRanges: m.parameterRanges, bucketBytes: bytes)
    }

    /// Every tensor is in exactly one bucket; buckets tile the buffer from the top down.
    func checkCoverage(_ p: GradientBucketPlan, _ m: Sequential, file: StaticString = #filePath, line: UInt = #line) {
        let all = p.buckets.flatMap(\.tensors)
        XCTAssertEqual(all, Array(m.store.views.indices.reversed()), "each tensor once, last tensor first", file: file, line: line)
        var upper = m.store.count
        for b in p.buckets {
            XCTAssertEqual(b.range.upperBound, upper, "buckets are contiguous, top down", file: file, line: line)
            let tensorSpan = b.tensors.map { m.store.views[$0].count }.reduce(0, +)
            XCTAssertEqual(b.range.count, tensorSpan, "a bucket is exactly its tensors", file: file, line: line)
            XCTAssertEqual(b.range.lowerBound, m.store.views[b.tensors.last!].offset, file: file, line: line)
            upper = b.range.lowerBound
        }
        XCTAssertEqual(upper, 0, "the buckets cover the whole buffer", file: file, line: line)
    }

    func testOneHugeBucketHoldsEverything() throws {
        let m = try model()
        let p = plan(m, bytes: GradientBucketPlan.defaultBucketBytes)
        XCTAssertEqual(p.buckets.count, 1)
        XCTAssertEqual(p.buckets[0].range, 0 ..< m.store.count)
        XCTAssertEqual(p.buckets[0].readyAfterLayer, 0)
        checkCoverage(p, m)
    }

    func testTinyCapGivesOneBucketPerTensorReadyAfterItsLayer() throws {
        let m = try model()
        let p = plan(m, bytes: 1)
        XCTAssertEqual(p.buckets.count, m.store.views.count)
        // Views: 0.weight 0.bias 2.weight 2.bias 4.weight 4.bias 5.weight 5.bias.
        XCTAssertEqual(p.buckets.map(\.readyAfterLayer), [5, 5, 4, 4, 2, 2, 0, 0])
        checkCoverage(p, m)
    }

    /// A bucket closes as soon as it reaches the cap (PyTorch's rule): with a cap of 1000 floats
    /// the small top tensors gather until the 2000-float 2.weight closes their bucket.
    func testBucketsCloseWhenTheyReachTheCap() throws {
        let m = try model()
        let sizes = m.store.views.map(\.count)
        XCTAssertEqual(sizes, [1200, 40, 2000, 50, 250, 5, 15, 3])
        let p = plan(m, bytes: 1000 * 4)
        XCTAssertEqual(p.buckets.map(\.tensors), [[7, 6, 5, 4, 3, 2], [1, 0]])
        XCTAssertEqual(p.buckets.map { $0.range.count }, [3 + 15 + 5 + 250 + 50 + 2000, 40 + 1200])
        XCTAssertEqual(p.buckets.map(\.readyAfterLayer), [2, 0])
        XCTAssertTrue(p.buckets.dropLast().allSatisfy { $0.bytes >= 4000 }, "every bucket but the last reaches the cap")
        checkCoverage(p, m)
        // A cap between: 300 floats.
        let q = plan(m, bytes: 300 * 4)
        XCTAssertEqual(q.buckets.map(\.tensors), [[7, 6, 5, 4, 3], [2], [1, 0]])
        XCTAssertEqual(q.buckets.map(\.readyAfterLayer), [2, 2, 0])
        checkCoverage(q, m)
    }

    func testThePlanDependsOnlyOnTheLayout() throws {
        let a = try model(), b = try Sequential(inputFeatures: 30, batch: 7, seed: 99, [
            Dense(outputs: 40), ReLU(), Dense(outputs: 50), Tanh(), Dense(outputs: 5), Dense(outputs: 3),
        ])
        XCTAssertEqual(plan(a, bytes: 1200), plan(b, bytes: 1200), "batch and seed do not change the buckets")
    }

    func testIntervalUnionSplitsHiddenAndExposedTime() {
        // [0, 2] ∪ [1, 3] ∪ [5, 6], backward ends at 2.5: total 4, hidden 2.5.
        let (total, hidden) = DataParallelTrainer.union(starts: [0, 1, 5], ends: [2, 3, 6], count: 3, before: 2.5)
        XCTAssertEqual(total, 4, accuracy: 1e-12)
        XCTAssertEqual(hidden, 2.5, accuracy: 1e-12)
        XCTAssertEqual(DataParallelTrainer.union(starts: [], ends: [], count: 0, before: 1).0, 0)
    }
}
