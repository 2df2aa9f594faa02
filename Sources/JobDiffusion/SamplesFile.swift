import Foundation
import JobKit
import Parallel
import Storage

/// `samples.h5`, in the layout of ns2d's `snapshots.h5` (docs/outputs.md): `/vorticity` frames × N × N
/// float64 (frame i is global sample first + i, y slowest), `/time` one value per frame (the global sample
/// index), root attributes `n`, `box_length` and `cascade_version` as ns2d writes them, then what the
/// samples are: the kind, model file, weights, sampler settings, ranks, and `/diffusion` with every
/// attribute of the training's `/diffusion`. Created atomically (a temporary renamed on ``finish()``);
/// `samples.xmf` is written after it. Each rank writes the frames of its own samples, `/time` included,
/// so no rank holds more than a batch.
final class SamplesFile {
    /// `samples.xmf` lists at most this many frames: its XML grows by about 300 bytes a frame, and a
    /// viewer steps through frames one by one (the HDF5 file holds them all).
    static let xdmfFrameLimit = 10_000

    let path: String
    let n: Int
    let boxLength: Double
    let firstSample: Int
    let samples: Int
    let xdmfPath: String
    private let file: H5File

    /// Creates the file and its datasets (collective).
    init(path: String, parameters p: SampleParameters, model: TrainedDiffusionModel, visitedSteps: Int, ranks: Int,
         communicator: Communicator) throws {
        let d = model.description
        self.path = path
        n = d.side
        boxLength = p.boxLength
        firstSample = p.first
        samples = p.samples
        xdmfPath = (path as NSString).deletingLastPathComponent + "/" + p.xdmfFile
        let f = try H5File.create(path, communicator: communicator)
        try f.createDataset("/vorticity", of: Double.self, shape: [p.samples, n, n])
        try f.setAttribute("description", .string("vorticity on the N×N grid, frames × y × x; point (i, j) at (x, y) = (j, i)·L/N; frame i is sample sampling.first + i of the diffusion model, un-normalised (× normalization_scale)"), on: "/vorticity")
        try f.createDataset("/time", of: Double.self, shape: [p.samples])
        try f.setAttribute("description", .string("the global sample index of each frame (samples have no physical time; ns2d's readers want a time axis)"), on: "/time")
        try f.setAttribute("n", .int(n))
        try f.setAttribute("box_length", .double(p.boxLength))
        try f.setAttribute("cascade_version", .string(CascadeVersion.current))
        let attributes: [(String, AttributeValue)] = [
            ("kind", .string(SampleJob.name)), ("model_file", .string(p.modelFile)), ("model_weights", .string(p.weights.rawValue)),
            ("model_group", .string(model.group)), ("method", .string(p.method.rawValue)),
            ("steps", .int(visitedSteps)), ("eta", .double(p.method == .ddim ? p.eta : 0)),
            ("ddpm_variance", .string(p.method == .ddpm ? p.ddpmVariance.rawValue : "")),
            ("seed", .int(p.seed)), ("first_sample", .int(p.first)), ("samples", .int(p.samples)), ("batch", .int(p.batch)),
            ("ranks", .int(ranks)), ("normalization_scale", .double(d.normalizationScale)), ("prediction", .string(d.prediction)),
        ]
        for (key, value) in attributes { try f.setAttribute(key, value) }
        try f.createGroup("/diffusion")
        for key in d.attributes.keys.sorted() { try f.setAttribute(key, d.attributes[key]!, on: "/diffusion") }
        file = f
    }

    /// Writes `rows` fields (rows × N × N values) at frames firstRow ..< firstRow + rows, and their sample
    /// indices into `/time`. Collective: a rank with nothing to write passes 0 rows.
    func write(_ fields: [Double], firstRow: Int, rows: Int) throws {
        let start = rows > 0 ? firstRow : 0
        try file.write("/vorticity", rows > 0 ? fields : [], offset: [start, 0, 0], count: [rows, n, n])
        try file.write("/time", (0 ..< rows).map { Double(firstSample + firstRow + $0) }, offset: [start], count: [rows])
    }

    /// Closes (renames) the file, then writes the XDMF sidecar naming /vorticity (its first
    /// ``xdmfFrameLimit`` frames, the sample index as the time). Collective.
    func finish() throws {
        try file.close()
        var xdmf = try XDMFWriter(dimensions: [n, n], spacing: [boxLength / Double(n), boxLength / Double(n)])
        xdmf.addTimeSeries("vorticity", file: (path as NSString).lastPathComponent, dataset: "/vorticity", frames: samples)
        xdmf.times = (0 ..< min(samples, Self.xdmfFrameLimit)).map { Double(firstSample + $0) }
        try xdmf.write(to: xdmfPath, communicator: file.communicator)
    }
}
