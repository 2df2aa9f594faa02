import CounterRNG
import Foundation
import XCTest

@testable import Learning

/// Straightforward float64 references of the kernels' formulas.
enum Reference {
    struct AdamState { var m: [Double], v: [Double], t = 0 }

    static func adam(_ p: inout [Double], _ g: [Double], _ s: inout AdamState, lr: Double,
                     b1: Double, b2: Double, eps: Double, wd: Double, decoupled: Bool) {
        s.t += 1
        let bc1 = 1 - pow(b1, Double(s.t)), bc2 = 1 - pow(b2, Double(s.t))
        for i in p.indices {
            var gi = g[i]
            if decoupled { p[i] *= 1 - lr * wd } else { gi += wd * p[i] }
            s.m[i] = b1 * s.m[i] + (1 - b1) * gi
            s.v[i] = b2 * s.v[i] + (1 - b2) * gi * gi
            p[i] -= lr * (s.m[i] / bc1) / ((s.v[i] / bc2).squareRoot() + eps)
        }
    }

    static func sgd(_ p: inout [Double], _ g: [Double], _ buf: inout [Double], lr: Double,
                    mu: Double, wd: Double, nesterov: Bool) {
        for i in p.indices {
            var d = g[i] + wd * p[i]
            if mu > 0 {
                buf[i] = mu * buf[i] + d
                d = nesterov ? d + mu * buf[i] : buf[i]
            }
            p[i] -= lr * d
        }
    }
}

func randomFloats(_ n: Int, seed: UInt64, stream: UInt64, scale: Double = 1) -> [Float] {
    CounterRNG(seed: seed, stream: stream).normals(n).map { Float($0 * scale) }
}

func relativeError(_ a: [Float], _ b: [Double]) -> Double {
    var num = 0.0, den = 0.0
    for i in a.indices { num += (Double(a[i]) - b[i]) * (Double(a[i]) - b[i]); den += b[i] * b[i] }
    return (num / max(den, .leastNormalMagnitude)).squareRoot()
}

final class OptimizerTests: XCTestCase {
    let n = 1037  // not a multiple of any vector width

    func runAdam(decoupled: Bool, wd: Double) {
        // The reference takes the hyperparameters as the optimiser holds them (rounded to Float):
        // 1 - 0.999 and 1 - Float(0.999) differ by 5e-5 relative, which v would show.
        func f(_ x: Double) -> Double { Double(Float(x)) }
        let lr = f(1e-2), b1 = f(0.9), b2 = f(0.999), eps = f(1e-8)
        var p = randomFloats(n, seed: 7, stream: 0)
        var pRef = p.map(Double.init)
        var state = Reference.AdamState(m: Array(repeating: 0, count: n), v: Array(repeating: 0, count: n))
        var opt: any Optimizer = decoupled
            ? AdamW(parameterCount: n, schedule: .constant(Float(lr)), beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps), weightDecay: Float(wd))
            : Adam(parameterCount: n, schedule: .constant(Float(lr)), beta1: Float(b1), beta2: Float(b2), epsilon: Float(eps), weightDecay: Float(wd))
        for step in 0 ..< 10 {
            let g = randomFloats(n, seed: 8, stream: UInt64(step))
            opt.step(parameters: &p, gradients: g)
            Reference.adam(&pRef, g.map(Double.init), &state, lr: lr, b1: b1, b2: b2, eps: eps, wd: wd, decoupled: decoupled)
        }
        XCTAssertEqual(opt.stepCount, 10)
        XCTAssertLessThan(relativeError(p, pRef), 1e-5)
        let exported = opt.exportState()
        XCTAssertLessThan(relativeError(exported.buffers["m"]!, state.m), 1e-5)
        XCTAssertLessThan(relativeError(exported.buffers["v"]!, state.v), 1e-5)
    }

    func testAdamMatchesFloat64Reference() { runAdam(decoupled: false, wd: 0) }
    func testAdamWithL2MatchesFloat64Reference() { runAdam(decoupled: false, wd: Double(Float(0.1))) }
    func testAdamWMatchesFloat64Reference() { runAdam(decoupled: true, wd: Double(Float(0.1))) }

    func testSGDMatchesFloat64Reference() {
        for (mu, nesterov, wd) in [(0.0, false, 0.0), (0.9, false, 0.0), (0.9, true, 0.01), (0.5, false, 0.1)] {
            let lr = Double(Float(0.05)), mu = Double(Float(mu)), wd = Double(Float(wd))
            var p = randomFloats(n, seed: 3, stream: 0)
            var pRef = p.map(Double.init)
            var buf = [Double](repeating: 0, count: n)
            var opt = SGD(parameterCount: n, schedule: .constant(Float(lr)), momentum: Float(mu), nesterov: nesterov, weightDecay: Float(wd))
            for step in 0 ..< 10 {
                let g = randomFloats(n, seed: 4, stream: UInt64(step))
                opt.step(parameters: &p, gradients: g)
                Reference.sgd(&pRef, g.map(Double.init), &buf, lr: lr, mu: mu, wd: wd, nesterov: nesterov)
            }
            XCTAssertLessThan(relativeError(p, pRef), 1e-5, "momentum \(mu) nesterov \(nesterov) wd \(wd)")
        }
    }

    func testAdamWDecayIsDecoupledFromTheGradient() {
        let lr: Float = 0.1, wd: Float = 0.5
        var p = randomFloats(n, seed: 11, stream: 0)
        let before = p
        var opt = AdamW(parameterCount: n, schedule: .constant(lr), weightDecay: wd)
        opt.step(parameters: &p, gradients: [Float](repeating: 0, count: n))
        for i in 0 ..< n {
            XCTAssertEqual(p[i], before[i] - lr * wd * before[i], accuracy: 1e-6 * max(1, abs(before[i])))
        }
        // Coupled L2 in Adam with a zero gradient: the normalised step is ±lr, not lr·wd·w.
        var q = before
        var adam = Adam(parameterCount: n, schedule: .constant(lr), weightDecay: wd)
        adam.step(parameters: &q, gradients: [Float](repeating: 0, count: n))
        XCTAssertEqual(abs(q[0] - before[0]), lr, accuracy: 1e-5)
    }

    func testScheduleFollowsItsStep() {
        var opt = SGD(parameterCount: 1, schedule: .linearWarmup(1, steps: 4))
        var p: [Float] = [0]
        for _ in 0 ..< 6 { opt.step(parameters: &p, gradients: [-1]) }
        XCTAssertEqual(p[0], 0.25 + 0.5 + 0.75 + 1 + 1 + 1, accuracy: 1e-6)
        XCTAssertEqual(opt.currentLearningRate, 1)
    }

    func testStateRoundTripContinuesIdentically() throws {
        func check<O: Optimizer>(_ make: () -> O) throws {
            var a = make()
            var pa = randomFloats(n, seed: 21, stream: 0)
            for s in 0 ..< 5 { a.step(parameters: &pa, gradients: randomFloats(n, seed: 22, stream: UInt64(s))) }
            let data = try JSONEncoder().encode(a.exportState())
            var b = make()
            try b.importState(try JSONDecoder().decode(OptimizerState.self, from: data))
            var pb = pa
            for s in 5 ..< 10 {
                let g = randomFloats(n, seed: 22, stream: UInt64(s))
                a.step(parameters: &pa, gradients: g)
                b.step(parameters: &pb, gradients: g)
            }
            XCTAssertEqual(pa, pb, "\(O.self)")
            XCTAssertEqual(a.exportState(), b.exportState(), "\(O.self)")
        }
        try check { Adam(parameterCount: n, schedule: .cosine(1e-2, total: 10, warmup: 2)) }
        try check { AdamW(parameterCount: n, schedule: .linearWarmup(1e-2, steps: 3)) }
        try check { SGD(parameterCount: n, schedule: .constant(1e-2), momentum: 0.9, nesterov: true) }
        try check { SGD(parameterCount: n, schedule: .constant(1e-2)) }
    }

    func testRangeStepsAreBitIdenticalToTheWholeBufferStep() {
        // Uneven, unaligned ranges taken out of order (as gradient buckets finish), then completeStep.
        let cuts = [0, 3, 17, 18, 500, 777, n]
        let order = [3, 0, 5, 1, 4, 2]
        func check<O: Optimizer>(_ make: () -> O) {
            var whole = make(), split = make()
            var pw = randomFloats(n, seed: 31, stream: 0)
            var ps = pw
            for s in 0 ..< 6 {
                let g = randomFloats(n, seed: 32, stream: UInt64(s))
                whole.step(parameters: &pw, gradients: g)
                ps.withUnsafeMutableBufferPointer { p in
                    g.withUnsafeBufferPointer { g in
                        for k in order { split.step(parameters: p, gradients: g, range: cuts[k] ..< cuts[k + 1]) }
                    }
                }
                XCTAssertEqual(split.stepCount, s, "\(O.self): a range step does not count")
                split.completeStep()
            }
            XCTAssertEqual(pw, ps, "\(O.self)")
            XCTAssertEqual(whole.exportState(), split.exportState(), "\(O.self)")
        }
        check { Adam(parameterCount: n, schedule: .cosine(1e-2, total: 6, warmup: 2), weightDecay: 0.01) }
        check { AdamW(parameterCount: n, schedule: .linearWarmup(1e-2, steps: 3)) }
        check { SGD(parameterCount: n, schedule: .constant(1e-2), momentum: 0.9, nesterov: true, weightDecay: 0.1) }
        check { SGD(parameterCount: n, schedule: .constant(1e-2)) }
    }

    func testImportRejectsMismatchedState() {
        var adam = Adam(parameterCount: 4)
        XCTAssertThrowsError(try adam.importState(AdamW(parameterCount: 4).exportState()))
        XCTAssertThrowsError(try adam.importState(Adam(parameterCount: 5).exportState()))
        var sgd = SGD(parameterCount: 4, schedule: .constant(1), momentum: 0.9)
        XCTAssertThrowsError(try sgd.importState(OptimizerState(kind: "sgd", stepCount: 1, buffers: [:])))
    }
}

final class ClippingAndScheduleTests: XCTestCase {
    func testClippingScalesToMaxNormAndReturnsTheNormBefore() {
        var g = randomFloats(1001, seed: 5, stream: 1, scale: 3)
        let exact = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let before = GradientClipping.byGlobalNorm(&g, maxNorm: 1.5)
        XCTAssertEqual(Double(before), exact, accuracy: 1e-6 * exact)
        let after = g.withUnsafeBufferPointer { GradientClipping.norm($0) }
        XCTAssertEqual(after, 1.5, accuracy: 1e-6)
        // Below the threshold: untouched.
        let kept = g
        let n2 = GradientClipping.byGlobalNorm(&g, maxNorm: 10)
        XCTAssertEqual(Double(n2), 1.5, accuracy: 1e-6)
        XCTAssertEqual(g, kept)
        var empty: [Float] = []
        XCTAssertEqual(GradientClipping.byGlobalNorm(&empty, maxNorm: 1), 0)
    }

    func testSchedules() {
        XCTAssertEqual(LearningRateSchedule.constant(0.3).rate(at: 12345), 0.3)
        let warm = LearningRateSchedule.linearWarmup(1, steps: 4)
        XCTAssertEqual((0 ..< 6).map { warm.rate(at: $0) }, [0.25, 0.5, 0.75, 1, 1, 1])
        let cos = LearningRateSchedule.cosine(1, total: 110, warmup: 10, minimum: 0.1)
        XCTAssertEqual(cos.rate(at: 0), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cos.rate(at: 9), 1, accuracy: 1e-7)
        XCTAssertEqual(cos.rate(at: 10), 1, accuracy: 1e-7)
        XCTAssertEqual(cos.rate(at: 60), 0.55, accuracy: 1e-6)  // half-way: the mean of peak and minimum
        XCTAssertEqual(cos.rate(at: 110), 0.1, accuracy: 1e-7)
        XCTAssertEqual(cos.rate(at: 500), 0.1)
        XCTAssertEqual(LearningRateSchedule.cosine(2, total: 4).rate(at: 0), 2)
        for t in 10 ..< 110 { XCTAssertGreaterThanOrEqual(cos.rate(at: t), cos.rate(at: t + 1)) }
    }
}

final class DataOrderTests: XCTestCase {
    func testEpochShuffleIsAPermutationFixedBySeedAndEpoch() {
        let s = EpochShuffle(count: 1000, seed: 42)
        let e0 = s.permutation(epoch: 0), e1 = s.permutation(epoch: 1)
        XCTAssertEqual(e0.sorted(), Array(0 ..< 1000))
        XCTAssertEqual(e1.sorted(), Array(0 ..< 1000))
        XCTAssertNotEqual(e0, e1)
        XCTAssertNotEqual(e0, Array(0 ..< 1000))
        XCTAssertEqual(e0, EpochShuffle(count: 1000, seed: 42).permutation(epoch: 0))
        XCTAssertNotEqual(e0, EpochShuffle(count: 1000, seed: 43).permutation(epoch: 0))
        XCTAssertEqual(EpochShuffle(count: 0, seed: 1).permutation(epoch: 0), [])
        XCTAssertEqual(EpochShuffle(count: 1, seed: 1).permutation(epoch: 3), [0])
        // Every position is reached: the first element over many epochs of a small shuffle.
        let small = EpochShuffle(count: 5, seed: 9)
        XCTAssertEqual(Set((0 ..< 200).map { small.permutation(epoch: $0)[0] }), Set(0 ..< 5))
    }

    func testRankSharesConcatenateToTheGlobalBatch() {
        let order = EpochShuffle(count: 103, seed: 1).permutation(epoch: 2)
        for batchSize in [1, 7, 10, 32] {
            let batches = BatchSharding.batchCount(count: order.count, batchSize: batchSize)
            XCTAssertEqual(batches, (103 + batchSize - 1) / batchSize)
            XCTAssertEqual(BatchSharding.batchCount(count: 103, batchSize: batchSize, dropLast: true), 103 / batchSize)
            for b in 0 ..< batches {
                let global = Array(order[BatchSharding.globalRange(batch: b, batchSize: batchSize, count: order.count)])
                for ranks in 1 ... 4 {
                    let shares = (0 ..< ranks).map {
                        BatchSharding.rankShare(of: order, batch: b, batchSize: batchSize, rank: $0, ranks: ranks)
                    }
                    XCTAssertEqual(Array(shares.joined()), global, "batch \(b) size \(batchSize) ranks \(ranks)")
                    let sizes = shares.map(\.count)
                    XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1)
                    XCTAssertEqual(sizes, sizes.sorted(by: >), "remainder goes to the lowest ranks")
                }
            }
        }
        XCTAssertEqual(BatchSharding.shareRange(rank: 0, ranks: 4, count: 10), 0 ..< 3)
        XCTAssertEqual(BatchSharding.shareRange(rank: 1, ranks: 4, count: 10), 3 ..< 6)
        XCTAssertEqual(BatchSharding.shareRange(rank: 2, ranks: 4, count: 10), 6 ..< 8)
        XCTAssertEqual(BatchSharding.shareRange(rank: 3, ranks: 4, count: 10), 8 ..< 10)
    }
}
