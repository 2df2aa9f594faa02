import Learning
import XCTest
@testable import TrainingData

final class TeacherStudentTaskTests: XCTestCase {
    func load(_ task: TeacherStudentTask, _ indices: [Int]) throws -> (x: [Float], t: [Float], y: [Int32]) {
        var x = [Float](repeating: .nan, count: indices.count * task.inputDimension)
        var t = [Float](repeating: .nan, count: indices.count * task.outputs), y = [Int32](repeating: -1, count: indices.count)
        try indices.withUnsafeBufferPointer { i in
            try x.withUnsafeMutableBufferPointer { xp in
                try t.withUnsafeMutableBufferPointer { tp in
                    try y.withUnsafeMutableBufferPointer { try task.load(indices: i, inputs: xp.baseAddress!, targets: tp.baseAddress, labels: $0.baseAddress) }
                }
            }
        }
        return (x, t, y)
    }

    /// Targets are the teacher's outputs on the inputs (checked by a separately built teacher of the
    /// same seed, one row at a time), the inputs are standard normal, and a sample does not depend on
    /// the batch it comes in (chunks of 7 rows against one request; a permuted request).
    func testTargetsAreTheTeacherOnStandardNormalInputs() throws {
        let task = try TeacherStudentTask(inputDimension: 5, width: 16, depth: 2, outputs: 3, activation: .tanh,
                                          teacherSeed: 9, dataSeed: 4, count: 2000, chunk: 7)
        XCTAssertEqual(task.targetKind, .values(3))
        let indices = Array(0 ..< 2000)
        let (x, t, _) = try load(task, indices)
        let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let variance = x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count) - mean * mean
        XCTAssertEqual(mean, 0, accuracy: 5 / Double(x.count).squareRoot())
        XCTAssertEqual(variance, 1, accuracy: 5 * (2 / Double(x.count)).squareRoot())
        let check = try Sequential(inputFeatures: 5, batch: 1, seed: 9, [Dense(outputs: 16), Tanh(), Dense(outputs: 16), Tanh(), Dense(outputs: 3)])
        for r in [0, 6, 7, 1999] {
            let y = check.forward(Array(x[r * 5 ..< r * 5 + 5]), rows: 1)
            for j in 0 ..< 3 { XCTAssertEqual(t[r * 3 + j], y[j], accuracy: 1e-6 * max(1, abs(y[j]))) }
        }
        XCTAssertGreaterThan(t.map { abs($0) }.max() ?? 0, 0.1, "the teacher is not trivially zero")
        let (xp, tp, _) = try load(task, [1999, 6, 0])
        XCTAssertEqual(Array(xp[0 ..< 5]), Array(x[1999 * 5 ..< 2000 * 5]))
        XCTAssertEqual(Array(tp[3 ..< 6]), Array(t[18 ..< 21]))
        let held = try task.heldOut(count: 10)
        XCTAssertNotEqual(try load(held, [0]).x, Array(x[0 ..< 5]))
    }

    /// Regression noise has the configured standard deviation; classification labels are the
    /// teacher's argmax, and flipping with probability p changes about p·(1 − 1/classes) of them.
    func testLabelNoise() throws {
        let n = 4000
        let clean = try TeacherStudentTask(inputDimension: 6, width: 8, depth: 1, teacherSeed: 1, dataSeed: 2, count: n)
        let noisy = try TeacherStudentTask(inputDimension: 6, width: 8, depth: 1, labelNoise: 0.3, teacherSeed: 1, dataSeed: 2, count: n)
        let a = try load(clean, Array(0 ..< n)).t, b = try load(noisy, Array(0 ..< n)).t
        let residual = zip(a, b).map { Double($1 - $0) }
        let sd = (residual.reduce(0) { $0 + $1 * $1 } / Double(n)).squareRoot()
        XCTAssertEqual(sd, 0.3, accuracy: 5 * 0.3 / Double(2 * n).squareRoot())

        let classes = try TeacherStudentTask(inputDimension: 6, width: 8, depth: 1, outputs: 4, targets: .classification,
                                             teacherSeed: 1, dataSeed: 2, count: n)
        XCTAssertEqual(classes.targetKind, .classes(4))
        let y = try load(classes, Array(0 ..< n)).y
        XCTAssertEqual(Set(y).count, 4, "all classes occur")
        let flipped = try TeacherStudentTask(inputDimension: 6, width: 8, depth: 1, outputs: 4, targets: .classification, labelNoise: 0.4,
                                             teacherSeed: 1, dataSeed: 2, count: n)
        let yf = try load(flipped, Array(0 ..< n)).y
        let changed = Double(zip(y, yf).filter { $0 != $1 }.count) / Double(n)
        XCTAssertEqual(changed, 0.4 * 0.75, accuracy: 5 * (0.3 * 0.7 / Double(n)).squareRoot())
    }

    func testBadParametersAreNamed() {
        func parameter(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let e as TrainingDataError { return e.parameter } catch { return "\(error)" }
        }
        XCTAssertEqual(parameter { _ = try TeacherStudentTask(inputDimension: 0, width: 4, depth: 1, teacherSeed: 1, dataSeed: 1, count: 1) }, "inputDimension")
        XCTAssertEqual(parameter { _ = try TeacherStudentTask(inputDimension: 3, width: 4, depth: -1, teacherSeed: 1, dataSeed: 1, count: 1) }, "depth")
        XCTAssertEqual(parameter { _ = try TeacherStudentTask(inputDimension: 3, width: 4, depth: 1, targets: .classification, labelNoise: 1.5, teacherSeed: 1, dataSeed: 1, count: 1) }, "labelNoise")
        XCTAssertEqual(parameter { _ = try TeacherStudentTask(inputDimension: 3, width: 4, depth: 1, teacherSeed: 1, dataSeed: 1, count: 0) }, "count")
    }
}
