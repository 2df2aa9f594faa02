import CounterRNG
import Learning
import TrainingData

/// Seconds to draw one batch from the synthetic sources (median of `repeats` loads of `batch` shuffled
/// indices), as `data key=value …`: what a training step on these tasks pays for its data on one thread.
func timeSyntheticSources(batch: Int, dimension d: Int, repeats: Int) throws -> String {
    var fields: [String] = []
    let count = 1 << 20
    var indices = [Int](repeating: 0, count: batch)
    var inputs = [Float](repeating: 0, count: batch * d), targets = [Float](repeating: 0, count: batch)
    var labels = [Int32](repeating: 0, count: batch)
    func time(_ source: any SampleSource) throws -> Double {
        var times: [Double] = []
        for round in 0 ..< repeats + 1 {
            for r in 0 ..< batch { indices[r] = (r &* 2_654_435_761 &+ round &* 40_503) % count }
            let t0 = now()
            try indices.withUnsafeBufferPointer { i in
                try inputs.withUnsafeMutableBufferPointer { x in
                    try targets.withUnsafeMutableBufferPointer { t in
                        try labels.withUnsafeMutableBufferPointer { y in
                            let classes: Bool
                            if case .classes = source.targetKind { classes = true } else { classes = false }
                            try source.load(indices: i, inputs: x.baseAddress!, targets: classes ? nil : t.baseAddress, labels: classes ? y.baseAddress : nil)
                        }
                    }
                }
            }
            if round > 0 { times.append(now() - t0) }  // the first load sizes the buffers
        }
        return median(times)
    }
    // The normal variates alone (CounterRNG.fillNormal, one stream per sample, as the tasks draw them).
    var normals = [Double](repeating: 0, count: batch * d), rngTimes: [Double] = []
    for _ in 0 ..< repeats {
        let t0 = now()
        normals.withUnsafeMutableBufferPointer { z in
            for r in 0 ..< batch {
                CounterRNG(seed: 1, stream: UInt64(r)).fillNormal(UnsafeMutableBufferPointer(rebasing: z[r * d ..< (r + 1) * d]), startingAt: 0)
            }
        }
        rngTimes.append(now() - t0)
    }
    fields.append("normals_s=\(median(rngTimes))")
    for eigenvectors in GaussianMixture.Eigenvectors.allCases {
        let t0 = now()
        let mixture = try GaussianMixture(.init(dimension: d, exponent: 1, eigenvectors: eigenvectors, separation: 2, seed: 1))
        let build = now() - t0
        let task = try GaussianMixtureTask(mixture: mixture, count: count)
        fields.append("gmm_\(eigenvectors.rawValue)_build_s=\(build) gmm_\(eigenvectors.rawValue)_load_s=\(try time(task))")
    }
    let teacher = try TeacherStudentTask(inputDimension: d, width: d, depth: 2, teacherSeed: 1, dataSeed: 2, count: count)
    fields.append("teacher_\(d)x2_load_s=\(try time(teacher))")
    return "data batch=\(batch) d=\(d) " + fields.joined(separator: " ")
}
