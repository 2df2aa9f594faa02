import CounterRNG
import Foundation
import JobKit
import Parallel
import Storage

extension SelftestJob {
    /// Writes the documented selftest file with every rank's rows, reads it back in another
    /// decomposition and checks every value.
    ///
    /// Layout (rows × cols = `storage.shape`, T = `storage.frames`):
    /// - `/field` float64 [rows, cols]: i·cols + j
    /// - `/field_f32` float32 [rows, cols]: i − j
    /// - `/frames` float64 [T, rows, cols], unlimited first axis: t·rows·cols + i·cols + j
    /// - `/random` float64 [rows·cols]: standard normals from CounterRNG(seed, stream 2), index = position
    /// - root attributes: cascade_version, kind, ranks, shape, created
    func checkStorage(_ check: inout Check, _ context: RunContext) throws {
        let comm = context.communicator
        let shape = parameters.storageShape
        let (rows, cols) = (shape[0], shape[1])
        let frames = parameters.frames
        let fileName = parameters.storageFile
        let path = context.outputPath(fileName)
        let mine = comm.blockRange(of: rows)
        let localCount = mine.count * cols

        let file = try H5File.create(path, communicator: comm)
        try file.setAttribute("cascade_version", .string(CascadeVersion.current))
        try file.setAttribute("kind", .string("selftest"))
        try file.setAttribute("ranks", .int(comm.size))
        try file.setAttribute("shape", .ints([rows, cols]))
        try file.setAttribute("created", .string(try comm.broadcast(iso8601(Date()))))
        var field = [Double](repeating: 0, count: localCount)
        var f32 = [Float](repeating: 0, count: localCount)
        for (li, i) in mine.enumerated() {
            for j in 0 ..< cols {
                field[li * cols + j] = Double(i * cols + j)
                f32[li * cols + j] = Float(i - j)
            }
        }
        try file.createDataset("/field", of: Double.self, shape: [rows, cols])
        try file.write("/field", field, offset: [mine.lowerBound, 0], count: [mine.count, cols])
        try file.createDataset("/field_f32", of: Float.self, shape: [rows, cols])
        try file.write("/field_f32", f32, offset: [mine.lowerBound, 0], count: [mine.count, cols])
        try file.createExtendibleDataset("/frames", of: Double.self, frameShape: [rows, cols])
        for t in 0 ..< frames {
            let frame = field.map { $0 + Double(t * rows * cols) }
            try file.appendFrame("/frames", frame, offset: [mine.lowerBound, 0], count: [mine.count, cols])
        }
        let rng = CounterRNG(seed: UInt64(parameters.seed), stream: 2)
        let noiseRange = comm.blockRange(of: rows * cols)
        try file.createDataset("/random", of: Double.self, shape: [rows * cols])
        try file.write("/random", rng.normals(noiseRange.count, startingAt: UInt64(noiseRange.lowerBound)),
                       offset: [noiseRange.lowerBound], count: [noiseRange.count])
        try file.close()
        check.expect(FileManager.default.fileExists(atPath: path), "\(fileName) missing after close")

        var xdmf = try XDMFWriter(dimensions: [rows, cols], spacing: [1, 1])
        xdmf.addField("field", file: fileName, dataset: "/field")
        xdmf.addTimeSeries("frames", file: fileName, dataset: "/frames", frames: frames)
        xdmf.times = (0 ..< frames).map(Double.init)
        try xdmf.write(to: context.outputPath(SelftestJob.xdmfName(fileName)), communicator: comm)

        // Read back with a different decomposition: rank r reads the rows of rank (r + 1) % size.
        let reader = try H5File.open(path, communicator: comm)
        let other = BlockDecomposition(count: rows, parts: comm.size).range(of: (comm.rank + 1) % comm.size)
        let back: [Double] = try reader.read("/field", offset: [other.lowerBound, 0], count: [other.count, cols])
        var bad = 0
        for (li, i) in other.enumerated() { for j in 0 ..< cols where back[li * cols + j] != Double(i * cols + j) { bad += 1 } }
        check.expect(bad == 0, "/field read back wrong in \(bad) values")
        check.expect(try reader.frameCount(of: "/frames") == frames, "/frames has the wrong frame count")
        let last: [Double] = try reader.readFrame("/frames", frames - 1, as: Double.self,
                                                  offset: [other.lowerBound, 0], count: [other.count, cols])
        let base = Double((frames - 1) * rows * cols)
        var badFrames = 0
        for (li, i) in other.enumerated() { for j in 0 ..< cols where last[li * cols + j] != base + Double(i * cols + j) { badFrames += 1 } }
        check.expect(badFrames == 0, "/frames last frame wrong in \(badFrames) values")
        check.expect(try reader.attribute("ranks")?.intValue == comm.size, "ranks attribute")
        let floats: [Float] = try reader.read("/field_f32", offset: [0, 0], count: [rows, cols])
        check.expect(floats.enumerated().allSatisfy { $0.element == Float($0.offset / cols - $0.offset % cols) }, "/field_f32 values")
        try reader.close()
        check.details.append("\(fileName): \(rows)×\(cols) field, \(frames) frames, written by \(comm.size) rank(s) and read back")
    }
}
