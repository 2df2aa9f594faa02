import CounterRNG
import Foundation
import Learning
import Parallel
import Storage
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
    fields.append(try timeHDF5(batch: batch, dimension: d, repeats: repeats))
    return "data batch=\(batch) d=\(d) " + fields.joined(separator: " ")
}

/// An HDF5 file of 16384 float32 rows of d values (written once, then read while it is in the page cache):
/// seconds per batch of `batch` random rows (each its own hyperslab) and of `batch` consecutive rows (one).
func timeHDF5(batch: Int, dimension d: Int, repeats: Int) throws -> String {
    let rows = 16384, path = NSTemporaryDirectory() + "cascade-bench-mlp-\(getpid()).h5"
    defer { unlink(path) }
    let h5 = try H5File.create(path, communicator: .world)
    try h5.createDataset("/x", of: Float.self, shape: [rows, d])
    try h5.write("/x", [Float](repeating: 0.5, count: rows * d), offset: [0, 0], count: [rows, d])
    try h5.createDataset("/y", of: Int32.self, shape: [rows])
    try h5.write("/y", [Int32](repeating: 1, count: rows), offset: [0], count: [rows])
    try h5.close()
    let source = try HDF5SampleSource(file: path, inputs: "/x", targets: .labels(dataset: "/y", classes: 2))
    var inputs = [Float](repeating: 0, count: batch * d), labels = [Int32](repeating: 0, count: batch)
    var out: [String] = []
    for (name, stride) in [("random", 7919), ("consecutive", 1)] {
        var times: [Double] = []
        for round in 0 ..< repeats + 1 {
            let indices = (0 ..< batch).map { (($0 + round * batch) * stride) % rows }
            let t0 = now()
            try indices.withUnsafeBufferPointer { i in
                try inputs.withUnsafeMutableBufferPointer { x in
                    try labels.withUnsafeMutableBufferPointer { try source.load(indices: i, inputs: x.baseAddress!, targets: nil, labels: $0.baseAddress) }
                }
            }
            if round > 0 { times.append(now() - t0) }
        }
        out.append("hdf5_\(name)_load_s=\(median(times))")
    }
    return out.joined(separator: " ")
}
