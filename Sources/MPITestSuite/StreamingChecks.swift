import Covariance
import Datasets
import DistributedLinalg
import Foundation
import Linalg
import Parallel
import Storage

/// Value of feature (y, x) of sample s in the streaming checks' file: correlated features, an offset.
private func streamedValue(_ s: Int, _ y: Int, _ x: Int) -> Double {
    let t = Double(s)
    return 40 + sin(0.7 * t + Double(y)) * Double(1 + x) + cos(1.3 * t * Double(x + 1)) + 0.01 * Double(y * 4 + x)
}

/// The lower triangle of a square matrix, row by row (what the block-cyclic assembly forms; see ``DistributedSymmetricMatrix``).
private func lowerTriangle(_ m: Matrix) -> [Double] {
    var out: [Double] = []
    for i in 0 ..< m.rows { for j in 0 ... i { out.append(m[i, j]) } }
    return out
}

/// Samples streamed from a file block by block give the matrices of the samples in memory.
let streamingChecks: [MPICheck] = [
    MPICheck("covariance.streamed-blocks") { comm, t in
        let path = try sharedPath(comm, "rmt-stream")
        let (samples, ny, nx) = (37, 5, 4)
        let mine = comm.blockRange(of: samples)
        var local: [Float] = [], bad: [Double] = []
        for s in mine {
            for y in 0 ..< ny {
                for x in 0 ..< nx {
                    local.append(Float(streamedValue(s, y, x)))
                    bad.append(s == 30 && y == 2 ? .nan : streamedValue(s, y, x))
                }
            }
        }
        let file = try H5File.create(path, communicator: comm)
        try file.createDataset("/field", of: Float.self, shape: [samples, ny, nx])
        try file.write("/field", local, offset: [mine.lowerBound, 0, 0], count: [mine.count, ny, nx])
        try file.createDataset("/bad", of: Double.self, shape: [samples, ny, nx])
        try file.write("/bad", bad, offset: [mine.lowerBound, 0, 0], count: [mine.count, ny, nx])
        try file.close()

        var sel = DatasetSelection(file: path, dataset: "field")
        sel.blockRows = 4                                        // several blocks per rank, a partial last one
        let resolved = try DatasetReader.resolve(sel, communicator: comm)
        t.expect(resolved.elementType == .float32 && resolved.blockRows == 4, "resolved \(resolved.elementType), \(resolved.blockRows) rows")
        let stream = SampleBlockStream.thisRank(sel, resolved, communicator: comm)
        // Every sample in memory on every rank (a one-rank read), the reference.
        let solo = try comm.split(color: comm.rank)
        let whole = try DatasetReader.read(sel, resolved, communicator: solo)
        let d = whole.features
        let (_, streamed) = try ShardedCovariance.covariance(stream, root: nil, communicator: comm)
        let (_, inMemory) = try ShardedCovariance.covariance(whole, communicator: solo)
        t.expectAllClose(streamed!.elements, inMemory.elements, rel: 1e-13, "streamed covariance = in-memory covariance")
        t.record("covariance", streamed!.elements, tolerance: 1e-12)

        let (_, g) = try ShardedCovariance.gram(streaming: stream, standardize: true, root: nil, communicator: comm)
        let (_, gMemory) = try ShardedCovariance.gram(whole, standardize: true, communicator: solo)
        t.expectAllClose(g!.elements, gMemory.elements, rel: 1e-12, "streamed Gram = in-memory Gram")
        t.record("gram", g!.elements, tolerance: 1e-12)

        // The distributed comoment folding the stream 3 samples at a time (many collective folds, a
        // shift shared by the ranks) equals the replicated one.
        let grid = try ProcessGrid(communicator: comm)
        let (_, _, folded) = try ShardedCovariance.distributedComoment(streaming: stream, grid: grid, blockSize: 8, foldBytes: 3 * 8 * d)
        let (_, _, replicatedComoment) = try ShardedCovariance.comoment(whole, communicator: solo)
        let foldedMatrix = try folded.gathered()
        t.expectAllClose(lowerTriangle(foldedMatrix), lowerTriangle(replicatedComoment), rel: 1e-12,
                         "streamed block-cyclic comoment = in-memory comoment")

        // A subset read as its rows only: every third sample left out.
        let subset = (0 ..< samples).filter { $0 % 3 != 1 }
        let part = SampleBlockStream.thisRank(sel, resolved, subset: subset, communicator: comm)
        let (_, cSubset) = try ShardedCovariance.covariance(part, root: nil, communicator: comm)
        let kept = whole.selecting((0 ..< samples).map { $0 % 3 != 1 })
        let (_, cKept) = try ShardedCovariance.covariance(kept, communicator: solo)
        t.expectAllClose(cSubset!.elements, cKept.elements, rel: 1e-13, "subset stream = the subset in memory")
        let (_, gSubset) = try ShardedCovariance.gram(streaming: part, standardize: false, root: 0, communicator: comm)
        if comm.isRoot {
            let (_, gKept) = try ShardedCovariance.gram(kept, standardize: false, communicator: solo)
            t.expect(gSubset?.rows == subset.count, "Gram of the subset is \(subset.count) × \(subset.count)")
            if let gSubset { t.expectAllClose(gSubset.elements, gKept.elements, rel: 1e-12, "subset Gram = the subset in memory") }
        }
        t.expect(d == ny * nx, "features \(d)")

        // NaN found while streaming: refused on every rank, naming the sample, after the last block.
        sel.dataset = "bad"
        let badResolved = try DatasetReader.resolve(sel, communicator: comm)
        do {
            _ = try ShardedCovariance.covariance(SampleBlockStream.thisRank(sel, badResolved, communicator: comm), root: 0, communicator: comm)
            t.expect(false, "NaN in sample 30 was accepted")
        } catch let e as DatasetError {
            t.expect(e.field == .dataset && e.problem.contains("sample 30"), "NaN refusal names sample 30: \(e)")
        }
        try cleanUp(comm, path)
    },
    MPICheck("covariance.streamed-sample-axis-1") { comm, t in
        // A features × samples dataset read along axis 1, with a stride: the transpose's covariance.
        let path = try sharedPath(comm, "rmt-stream-t")
        let (features, samples) = (6, 29)
        let rows = comm.blockRange(of: features)
        var local: [Double] = []
        for f in rows { for s in 0 ..< samples { local.append(streamedValue(s, f, 1)) } }
        let file = try H5File.create(path, communicator: comm)
        try file.createDataset("/t", of: Double.self, shape: [features, samples])
        try file.write("/t", local, offset: [rows.lowerBound, 0], count: [rows.count, samples])
        try file.close()
        var sel = DatasetSelection(file: path, dataset: "t")
        (sel.sampleAxis, sel.first, sel.stride, sel.blockRows, sel.crop) = (1, 1, 2, 3, [1, 6])
        let resolved = try DatasetReader.resolve(sel, communicator: comm)
        t.expect(resolved.samples == 14 && resolved.features == 5, "resolved \(resolved.samples) samples × \(resolved.features)")
        let block = try DatasetReader.read(sel, resolved, communicator: comm)
        var expected: [Double] = []
        for k in block.sampleRange { for f in 1 ..< 6 { expected.append(streamedValue(1 + 2 * k, f, 1)) } }
        t.expectAllClose(block.values, expected, rel: 0, "columns 1, 3, … of rows 1..<6 as samples")
        t.record("read", try comm.allgather(block.values), tolerance: 0)
        // The storage layer refuses a selection past the end or out of order, on every rank.
        let h5 = try H5File.open(path, communicator: comm)
        var buffer = [Double](repeating: 0, count: 2 * features)
        for bad in [AxisSelection.positions([5, 3]), .strided(start: 20, count: 2, stride: 9)] {
            do {
                try buffer.withUnsafeMutableBufferPointer {
                    try h5.read("/t", into: $0, along: 1, bad, offset: [0, 0], count: [features, 0])
                }
                t.expect(false, "\(bad) accepted")
            } catch let e as StorageError {
                t.expect(e.message.contains("axis 1"), "refusal names the axis: \(e)")
            }
        }
        try h5.close()
        sel.sampleAxis = 2
        do {
            _ = try DatasetReader.resolve(sel, communicator: comm)
            t.expect(false, "sample axis 2 accepted")
        } catch let e as DatasetError {
            t.expect(e.field == .sampleAxis, "refusal names the sample axis: \(e)")
        }
        try cleanUp(comm, path)
    },
]
