import CounterRNG
import Foundation
import Learning

/// PLACEHOLDER still used by the `wide-sweep` kind only (WideSweepJob.swift): the `train` kind
/// draws its teacher–student data from TrainingData's `TeacherStudentTask` (see
/// ``TrainDataSources/open(_:)``, whose teacher has the same distribution: tanh, N(0, 1) weights
/// scaled by 1/sqrt(fan-in), no bias). Delete this file once wide-sweep uses that task too.
///
/// Inputs x ~ N(0, I_d); targets y = teacher(x) + noise·ε, the teacher a tanh network with `depth`
/// hidden layers of `width` units in NTK scaling (y = W·h/sqrt(fan_in)), weights N(0, 1) from
/// stream 1000 + layer of the data seed. Sample i of split s (0 train, 1 held-out) draws its
/// inputs from stream 2s, elements i·d … i·d + d − 1, and its noise from stream 2s + 1: the same
/// sample whatever the rank count or the order of requests.
final class PlaceholderTeacherStudent: SampleSource {
    /// The random teacher network (float64, tiny).
    struct Teacher {
        let dimension: Int
        let widths: [Int]
        let weights: [[Double]]
        /// The data seed (`data.seed`), which also keys the samples.
        let seed: UInt64

        init(dimension: Int, width: Int, depth: Int, outputs: Int, seed: UInt64) {
            self.dimension = dimension
            self.seed = seed
            let widths = [dimension] + Array(repeating: width, count: depth) + [outputs]
            self.widths = widths
            weights = (0 ..< widths.count - 1).map { l in
                CounterRNG(seed: seed, stream: 1000 + UInt64(l)).normals(widths[l] * widths[l + 1])
            }
        }

        var outputs: Int { widths.last! }

        /// y = teacher(x); `scratch` holds two layers' activations.
        func evaluate(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, scratch: inout [Double]) {
            let widest = widths.max()!
            if scratch.count < 2 * widest { scratch = [Double](repeating: 0, count: 2 * widest) }
            scratch.withUnsafeMutableBufferPointer { s in
                var cur = s.baseAddress!, next = s.baseAddress! + widest
                for j in 0 ..< dimension { cur[j] = Double(x[j]) }
                for l in 0 ..< weights.count {
                    let (fanIn, fanOut) = (widths[l], widths[l + 1])
                    let scale = 1 / Double(fanIn).squareRoot(), last = l == weights.count - 1
                    weights[l].withUnsafeBufferPointer { w in
                        for o in 0 ..< fanOut {
                            var sum = 0.0
                            for i in 0 ..< fanIn { sum += w[o * fanIn + i] * cur[i] }
                            next[o] = last ? sum * scale : tanh(sum * scale)
                        }
                    }
                    swap(&cur, &next)
                }
                for o in 0 ..< outputs { y[o] = Float(cur[o]) }
            }
        }
    }

    let teacher: Teacher
    let count: Int
    let noise: Double
    private let inputStream: CounterRNG
    private let noiseStream: CounterRNG
    private var scratch: [Double] = []

    init(teacher: Teacher, count: Int, noise: Double, split: UInt64) {
        self.teacher = teacher
        self.count = count
        self.noise = noise
        inputStream = CounterRNG(seed: teacher.seed, stream: 2 * split)
        noiseStream = CounterRNG(seed: teacher.seed, stream: 2 * split + 1)
    }

    var inputShape: TensorShape { .vector(teacher.dimension) }
    var targetKind: TargetKind { .values(teacher.outputs) }

    func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>,
              targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
        let d = teacher.dimension, w = teacher.outputs
        for (r, index) in indices.enumerated() {
            precondition(index >= 0 && index < count, "sample \(index) outside 0..<\(count)")
            let x = inputs + r * d
            for j in 0 ..< d { x[j] = Float(inputStream.normal(at: UInt64(index * d + j))) }
            guard let targets else { continue }
            let y = targets + r * w
            teacher.evaluate(UnsafePointer(x), into: y, scratch: &scratch)
            if noise > 0 {
                for o in 0 ..< w { y[o] += Float(noise * noiseStream.normal(at: UInt64(index * w + o))) }
            }
        }
    }
}
