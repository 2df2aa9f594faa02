import Foundation
import Learning
import Parallel
import Storage
import TrainingData

/// Σ over this rank's rows of value · (a weight from the GLOBAL batch position and element), summed over
/// ranks: the same number for any split of the batch when every rank got the right samples.
private func positionChecksum(_ values: [Float], width: Int, positions: Range<Int>, comm: Communicator) throws -> Double {
    var local = 0.0
    for (r, p) in positions.enumerated() {
        for j in 0 ..< width { local += Double(values[r * width + j]) * Double((p * 31 + j) % 11 + 1) }
    }
    return try comm.allreduce(local, .sum)
}

/// Training sources on several ranks: each rank loads only its share of a shuffled global batch.
let trainingDataChecks: [MPICheck] = [
    // An HDF5 file written collectively, then read by each rank independently: rank r splits its share
    // into r + 1 loads, so the ranks make different numbers of reads (collective reads would hang).
    MPICheck("trainingdata.hdf5-independent-shares") { comm, t in
        let path = try sharedPath(comm, "samples")
        let (n, f) = (53, 6)
        let h5 = try H5File.create(path, communicator: comm)
        let mine = comm.blockRange(of: n)
        try h5.createDataset("/x", of: Float.self, shape: [n, f])
        try h5.write("/x", mine.flatMap { s in (0 ..< f).map { Float(s * 100 + $0) } }, offset: [mine.lowerBound, 0], count: [mine.count, f])
        try h5.createDataset("/y", of: Int32.self, shape: [n])
        try h5.write("/y", mine.map { Int32($0 % 4) }, offset: [mine.lowerBound], count: [mine.count])
        try h5.close()
        let source = try HDF5SampleSource(file: path, inputs: "/x", targets: .labels(dataset: "/y", classes: 4))
        let order = EpochShuffle(count: n, seed: 5).permutation(epoch: 1)
        let batchSize = 24
        for batch in 0 ..< 2 {
            let share = BatchSharding.rankShare(of: order, batch: batch, batchSize: batchSize, rank: comm.rank, ranks: comm.size)
            let indices = Array(share)
            var x = [Float](repeating: .nan, count: indices.count * f), y = [Int32](repeating: -1, count: indices.count)
            let pieces = comm.rank + 1
            for p in 0 ..< pieces {
                let lo = indices.count * p / pieces, hi = indices.count * (p + 1) / pieces
                try indices[lo ..< hi].withUnsafeBufferPointer { i in
                    try x.withUnsafeMutableBufferPointer { xp in
                        try y.withUnsafeMutableBufferPointer { try source.load(indices: i, inputs: xp.baseAddress! + lo * f, targets: nil, labels: $0.baseAddress! + lo) }
                    }
                }
            }
            for (r, s) in indices.enumerated() {
                t.expect(Array(x[r * f ..< (r + 1) * f]) == (0 ..< f).map { Float(s * 100 + $0) }, "batch \(batch): sample \(s) inputs")
                t.expect(y[r] == Int32(s % 4), "batch \(batch): sample \(s) label \(y[r])")
            }
            let positions = share.startIndex - batch * batchSize ..< share.endIndex - batch * batchSize
            t.record("batch\(batch)", [try positionChecksum(x, width: f, positions: positions, comm: comm)])
        }
        try cleanUp(comm, path)
    },
    // Gaussian-mixture samples and the Bayes tally do not depend on who draws them.
    MPICheck("trainingdata.gaussian-mixture-shares") { comm, t in
        let mixture = try GaussianMixture(.init(dimension: 24, exponent: 1.2, eigenvectors: .different, separation: 2, seed: 3))
        let task = try GaussianMixtureTask(mixture: mixture, count: 1000)
        let order = EpochShuffle(count: 1000, seed: 8).permutation(epoch: 0)
        let share = BatchSharding.rankShare(of: order, batch: 3, batchSize: 64, rank: comm.rank, ranks: comm.size)
        let indices = Array(share)
        var x = [Float](repeating: .nan, count: indices.count * 24), y = [Int32](repeating: -1, count: indices.count)
        try indices.withUnsafeBufferPointer { i in
            try x.withUnsafeMutableBufferPointer { xp in
                try y.withUnsafeMutableBufferPointer { try task.load(indices: i, inputs: xp.baseAddress!, targets: nil, labels: $0.baseAddress!) }
            }
        }
        let positions = share.startIndex - 3 * 64 ..< share.endIndex - 3 * 64
        t.record("inputs", [try positionChecksum(x, width: 24, positions: positions, comm: comm)], tolerance: 1e-12)
        t.record("labels", [try positionChecksum(y.map(Float.init), width: 1, positions: positions, comm: comm)])
        // A stand-in network logit (the first coordinate) tallied over each rank's block of the test set.
        let test = try task.heldOut(count: 500)
        let block = Array(comm.blockRange(of: 500))
        var tx = [Float](repeating: 0, count: block.count * 24)
        try block.withUnsafeBufferPointer { i in try tx.withUnsafeMutableBufferPointer { try test.load(indices: i, inputs: $0.baseAddress!, targets: nil, labels: nil) } }
        let logits = (0 ..< block.count).map { tx[$0 * 24] }
        var tally = BayesTally()
        block.withUnsafeBufferPointer { i in logits.withUnsafeBufferPointer { test.tally(indices: i, logits: $0, into: &tally) } }
        let total = BayesTally(sums: try comm.allreduce(tally.sums, .sum)).comparison(mixture: mixture)
        t.expect(total.samples == 500, "tally over \(total.samples) samples")
        t.record("bayes", [total.networkAccuracy, total.bayesAccuracy, total.agreement, total.logitCorrelation], tolerance: 1e-9)
    },
]
