import Learning
import XCTest

@testable import Training

/// The split of gradient buckets into per-rank slices for the sharded optimiser step.
final class ShardPlanTests: XCTestCase {
    /// Tensors of 3 to 2000 floats (30·40+40, 40·50+50, 50·5+5, 5·3+3), each its own bucket.
    func bucketPlan() throws -> GradientBucketPlan {
        let m = try Sequential(inputFeatures: 30, batch: 2, seed: 1, [
            Dense(outputs: 40), ReLU(), Dense(outputs: 50), Tanh(), Dense(outputs: 5), Dense(outputs: 3),
        ])
        return GradientBucketPlan(views: m.store.views, layerRanges: m.parameterRanges, bucketBytes: 4)
    }

    func testSlicesTileEveryBucketAlignedAndBalanced() throws {
        let plan = try bucketPlan()
        XCTAssertTrue(plan.buckets.contains { $0.range.count == 3 }, "a bucket smaller than one alignment unit")
        for ranks in [1, 2, 3, 4, 7] {
            let shards = (0 ..< ranks).map { GradientShardPlan(plan: plan, rank: $0, ranks: ranks) }
            XCTAssertEqual(shards.map(\.ownedCount).reduce(0, +), plan.buckets.map(\.range.count).reduce(0, +),
                           "\(ranks) ranks own every element once")
            for (k, bucket) in plan.buckets.enumerated() {
                let split = shards[0].buckets[k]
                XCTAssertTrue(shards.allSatisfy { $0.buckets[k].counts == split.counts }, "every rank builds the same split")
                XCTAssertEqual(split.counts.reduce(0, +), bucket.range.count)
                var next = bucket.range.lowerBound
                for r in 0 ..< ranks {
                    let owned = shards[r].buckets[k].owned
                    XCTAssertEqual(owned.lowerBound, next, "rank \(r)'s slice follows rank \(r - 1)'s")
                    XCTAssertEqual(owned.count, split.counts[r])
                    XCTAssertTrue(split.counts[r] == 0 || split.offsets[r] % 16 == 0, "slices start on 16-float boundaries of the bucket")
                    next = owned.upperBound
                }
                XCTAssertEqual(next, bucket.range.upperBound)
                // Balanced: every slice but the last non-empty one is ⌈n/P⌉ rounded up to 16.
                let full = ((bucket.range.count + ranks - 1) / ranks + 15) / 16 * 16
                XCTAssertTrue(split.counts.allSatisfy { $0 <= full }, "\(split.counts) within \(full)")
                if ranks == 1 { XCTAssertEqual(split.counts, [bucket.range.count], "one rank owns the bucket whole") }
                if bucket.range.count <= 16 { XCTAssertEqual(split.counts.filter { $0 > 0 }.count, 1, "a small bucket has one owner") }
            }
            // Packed state offsets: bucket after bucket.
            for s in shards {
                var packed = 0
                for b in s.buckets { XCTAssertEqual(b.stateOffset, packed); packed += b.owned.count }
                XCTAssertEqual(packed, s.ownedCount)
            }
        }
    }

    /// `packed` keeps a rank's slices of a full optimiser state in its packed order.
    func testPackedStateIsTheOwnedSlices() throws {
        let plan = try bucketPlan()
        let n = plan.buckets.map(\.range.count).reduce(0, +)
        let full = OptimizerState(kind: "adam", stepCount: 3, buffers: ["m": (0 ..< n).map(Float.init), "v": [Float](repeating: 2, count: n)])
        let shard = GradientShardPlan(plan: plan, rank: 1, ranks: 3)
        let p = try DataParallelTrainer.packed(full, plan: shard, parameterCount: n)
        XCTAssertEqual(p.stepCount, 3)
        XCTAssertEqual(p.buffers["m"], shard.buckets.flatMap { $0.owned.map(Float.init) })
        XCTAssertEqual(p.buffers["v"]?.count, shard.ownedCount)
        var wrong = full
        wrong.buffers["v"] = [1, 2]
        XCTAssertThrowsError(try DataParallelTrainer.packed(wrong, plan: shard, parameterCount: n)) { e in
            XCTAssertTrue("\(e)".contains("optimiser buffer v"), "\(e)")
        }
    }

    /// A slice step with state at another offset is bit-identical to the whole-buffer step.
    func testSliceStepMatchesWholeStep() {
        let n = 100
        let g = (0 ..< n).map { Float(sin(Double($0))) }
        var whole = (0 ..< n).map { Float($0) * 0.01 }
        var sliced = whole
        for make in [{ Adam(parameterCount: $0) as any Optimizer }, { AdamW(parameterCount: $0) as any Optimizer },
                     { SGD(parameterCount: $0, schedule: .constant(0.1), momentum: 0.9) as any Optimizer }] {
            var a = make(n), b = make(n).withFreshState(parameterCount: 60)
            for _ in 0 ..< 3 {
                a.step(parameters: &whole, gradients: g)
                // Elements 30 ..< 90 with their state packed at 0 ..< 60, in two slices.
                sliced.withUnsafeMutableBufferPointer { p in
                    g.withUnsafeBufferPointer { gp in
                        b.step(slice: p.baseAddress! + 60, gradients: gp.baseAddress! + 60, count: 30, stateOffset: 30)
                        b.step(slice: p.baseAddress! + 30, gradients: gp.baseAddress! + 30, count: 30, stateOffset: 0)
                    }
                }
                b.completeStep()
                for i in 0 ..< 30 { sliced[i] = whole[i]; sliced[90 + i % 10] = whole[90 + i % 10] }
            }
            XCTAssertEqual(Array(sliced[30 ..< 90]), Array(whole[30 ..< 90]), "\(type(of: a))")
            XCTAssertEqual(b.stepCount, 3)
            XCTAssertEqual(b.parameterCount, 60)
        }
    }
}
