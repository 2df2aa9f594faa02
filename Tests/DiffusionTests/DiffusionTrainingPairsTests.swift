import Learning
import XCTest
@testable import Diffusion

/// Fields f_i(y, x) = i + sin(x) cos(2y)-like values, distinct per field and point.
final class IndexedFields: PeriodicFieldSource {
    let count: Int, side: Int
    let scale = 1.0
    init(count: Int, side: Int) { self.count = count; self.side = side }
    func loadFields(indices: UnsafeBufferPointer<Int>, into fields: UnsafeMutablePointer<Float>) throws {
        for (r, i) in indices.enumerated() {
            for p in 0 ..< side * side { fields[r * side * side + p] = Float(i) + Float(p) / Float(side * side) }
        }
    }
}

/// The trainer-facing pairs: row layout, the closed form of x_t, and keys that depend on
/// (sample, step) only.
final class DiffusionTrainingPairsTests: XCTestCase {
    func make(augment: Bool, target: PredictionTarget = .noise) throws -> DiffusionTrainingPairs {
        let fields = IndexedFields(count: 12, side: 8)
        let schedule = try NoiseSchedule.linear(steps: 50)
        let augmentation = augment ? SymmetryAugmentation(layout: try .vorticity(side: 8), seed: 5) : nil
        return try DiffusionTrainingPairs(fields: fields, process: ForwardProcess(schedule: schedule, seed: 3),
                                          augmentation: augmentation, target: target)
    }

    func load(_ s: DiffusionTrainingPairs, _ indices: [Int]) throws -> (x: [Float], y: [Float]) {
        var x = [Float](repeating: .nan, count: indices.count * 65), y = [Float](repeating: .nan, count: indices.count * 64)
        try indices.withUnsafeBufferPointer { i in
            try x.withUnsafeMutableBufferPointer { xp in
                try y.withUnsafeMutableBufferPointer { yp in try s.load(indices: i, inputs: xp.baseAddress!, targets: yp.baseAddress!, labels: nil) }
            }
        }
        return (x, y)
    }

    func testRowsAreTheNoisedFieldThenTAndTheTargetIsItsNoise() throws {
        let s = try make(augment: false)
        XCTAssertEqual(s.inputShape, .vector(65))
        XCTAssertEqual(s.targetKind, .values(64))
        s.beginPass(7)
        let (x, y) = try load(s, [3, 9])
        let schedule = s.process.schedule
        for (r, i) in [3, 9].enumerated() {
            let t = Int(x[r * 65 + 64])
            XCTAssertEqual(Float(t), x[r * 65 + 64], "t is an integer step")
            XCTAssertTrue((0 ..< 50).contains(t))
            for p in 0 ..< 64 {
                let x0 = Double(i) + Double(p) / 64
                let expected = schedule.sqrtAlphaBars[t] * x0 + schedule.sqrtOneMinusAlphaBars[t] * Double(y[r * 64 + p])
                XCTAssertEqual(Double(x[r * 65 + p]), expected, accuracy: 1e-5 * max(1, abs(expected)), "x_t = √ᾱ x0 + √(1−ᾱ) ε")
            }
        }
    }

    func testPairsDependOnSampleAndStepOnly() throws {
        for augment in [false, true] {
            let s = try make(augment: augment)
            s.beginPass(4)
            let both = try load(s, [2, 5, 11])
            let alone = try load(s, [5])
            XCTAssertEqual(Array(both.x[65 ..< 130]), alone.x, "sample 5 at step 4, in any batch (augment \(augment))")
            XCTAssertEqual(Array(both.y[64 ..< 128]), alone.y)
            s.beginPass(5)
            XCTAssertNotEqual(try load(s, [5]).y, alone.y, "another step, other noise")
            // A second source (another rank) at the same step draws the same pairs.
            let other = try make(augment: augment)
            other.beginPass(4)
            XCTAssertEqual(try load(other, [11, 2]).x, Array(both.x[130 ..< 195]) + Array(both.x[0 ..< 65]))
            // Evaluations see one fixed set of pairs.
            s.beginPass(SamplePass.evaluation)
            let e1 = try load(s, [0, 1])
            s.beginPass(9)
            _ = try load(s, [0, 1])
            s.beginPass(SamplePass.evaluation)
            XCTAssertEqual(try load(s, [0, 1]).x, e1.x)
        }
    }

    func testAugmentationMovesTheFieldBySymmetriesOfTheBox() throws {
        // With augmentation the clean field is a transformed copy: the multiset of |values| is kept.
        let plain = try make(augment: false), moved = try make(augment: true)
        plain.beginPass(2)
        moved.beginPass(2)
        let a = try load(plain, [6]), b = try load(moved, [6])
        let s = plain.process.schedule, t = Int(a.x[64])
        XCTAssertEqual(a.x[64], b.x[64], "same t: the time step's key does not involve the augmentation")
        let cleanA = (0 ..< 64).map { (Double(a.x[$0]) - s.sqrtOneMinusAlphaBars[t] * Double(a.y[$0])) / s.sqrtAlphaBars[t] }
        let cleanB = (0 ..< 64).map { (Double(b.x[$0]) - s.sqrtOneMinusAlphaBars[t] * Double(b.y[$0])) / s.sqrtAlphaBars[t] }
        let sortedA = cleanA.map(abs).sorted(), sortedB = cleanB.map(abs).sorted()
        for k in 0 ..< 64 { XCTAssertEqual(sortedA[k], sortedB[k], accuracy: 1e-4) }
    }

    func testMismatchedAugmentationIsRefused() throws {
        let fields = IndexedFields(count: 4, side: 8)
        XCTAssertThrowsError(try DiffusionTrainingPairs(fields: fields, process: ForwardProcess(schedule: try .linear(steps: 10), seed: 1),
                                                        augmentation: SymmetryAugmentation(layout: try .vorticity(side: 16), seed: 1)))
    }
}
