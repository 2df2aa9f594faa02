import Foundation
import JobKit
import Parallel
import Storage
import Turbulence

/// The `turbulence-compare` job: ns2d's diagnostics applied to two or more sets of vorticity
/// fields (generated samples, training frames, a held-out segment), side by side in one HDF5 file.
///
/// Whole fields are the unit of work: field t of the concatenated inputs is analysed by rank
/// t mod P, and each field's statistics land in its own slot of one array summed over the ranks
/// (the other slots are zero, so the sum is exact); everything after that (means, fits, bootstrap,
/// distances) runs identically on every rank from the same numbers, so results do not depend on
/// the rank count. Rank 0 writes the file.
public struct CompareJob: JobKind {
    let p: CompareParameters

    public init(parameters: CompareParameters) throws { p = parameters }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let solo = try comm.split(color: comm.rank)
        try context.rootDecides { _ = try ResolvedInputs.resolve(p, solo: solo) }
        let resolved = try ResolvedInputs.resolve(p, solo: solo)
        let separations = try resolved.separations(p)
        let n = resolved.n, total = resolved.totalFields, ranks = comm.size
        let referenceIndex = p.referenceIndex
        let referenceCount = resolved.inputs[referenceIndex].frames.count
        try checkMemory(n: n, fields: total, references: referenceCount, separations: separations.count, communicator: comm)
        context.logger.info("turbulence-compare: \(resolved.inputs.count) inputs, \(total) fields of \(n)², \(separations.count) separations, reference \(resolved.inputs[referenceIndex].name) (\(referenceCount) fields)")

        // Read this rank's fields, refusing NaN/Inf before any statistics.
        let offsets = resolved.offsets
        var local: [Int: [Double]] = [:]
        var firstBad = Int.max
        for (i, input) in resolved.inputs.enumerated() {
            let mine = (0 ..< input.frames.count).filter { (offsets[i] + $0) % ranks == comm.rank }
            guard !mine.isEmpty else { continue }
            let reader = try FrameReader(input, dataset: p.dataset, n: n, solo: solo)
            for k in mine {
                let (field, finite) = try reader.read(k)
                if !finite { firstBad = min(firstBad, offsets[i] + k) }
                local[offsets[i] + k] = field
            }
            try reader.close()
        }
        firstBad = try comm.allreduce(firstBad, .min)
        if firstBad != Int.max {
            let i = offsets.lastIndex { $0 <= firstBad }!, input = resolved.inputs[i]
            throw RunError("`inputs.files[\(input.index)]` = \"\(input.file)\": frame \(input.frames[firstBad - offsets[i]]) of dataset \(p.dataset) holds NaN or Inf values (fix: choose other frames with `inputs.first`/`inputs.count`, or repair the file)")
        }

        // Common PDF bins from the baseline's standard deviations.
        let probe = try VorticityFieldStatistics(n: n, options: options(separations: separations, n: n, box: resolved.boxLength,
                                                                        sigmaU: 1, sigmaOmega: 1))
        var squares = [0.0, 0.0]
        for t in 0 ..< resolved.inputs[0].frames.count where local[t] != nil {
            squares[0] += probe.velocityMeanSquare(of: local[t]!)
            squares[1] += local[t]!.reduce(0) { $0 + $1 * $1 } / Double(n * n)
        }
        squares = try comm.allreduce(squares, .sum)
        let baselineFields = Double(resolved.inputs[0].frames.count)
        let sigmaU = (squares[0] / baselineFields / 2).squareRoot(), sigmaOmega = (squares[1] / baselineFields).squareRoot()
        guard sigmaU > 0, sigmaOmega > 0 else {
            throw RunError("`inputs.files[0]` = \"\(resolved.inputs[0].file)\": the baseline's fields are zero, so there is no scale for the PDF bins (fix: put a turbulent input first)")
        }
        let statistics = try VorticityFieldStatistics(n: n, options: options(separations: separations, n: n, box: resolved.boxLength,
                                                                             sigmaU: sigmaU, sigmaOmega: sigmaOmega))
        let layout = FieldLayout(statistics)
        var packed = [Double](repeating: 0, count: total * layout.width)
        let progress = context.progress("fields", total: Double(total), unit: .count("fields"))
        var done = 0
        for t in local.keys.sorted() {
            layout.pack(statistics.statistics(of: local[t]!), into: &packed, at: t)
            done += 1
            progress.update(Double(min(done * ranks, total)))
        }
        packed = try comm.allreduce(packed, .sum)

        // Novelty: every rank holds the reference set's transforms.
        let search = try NoveltySearch2D(n: n)
        let reference = resolved.inputs[referenceIndex]
        let referenceReader = try FrameReader(reference, dataset: p.dataset, n: n, solo: solo)
        for k in 0 ..< reference.frames.count { search.addReference(try referenceReader.read(k).field) }
        try referenceReader.close()
        var nearest = [Double](repeating: 0, count: 3 * total)
        for t in local.keys.sorted() {
            let i = offsets.lastIndex { $0 <= t }!
            let found = search.nearest(to: local[t]!, excluding: i == referenceIndex ? t - offsets[i] : nil)
            (nearest[3 * t], nearest[3 * t + 1], nearest[3 * t + 2]) = (found.distance, Double(found.reference), Double(found.symmetry))
        }
        nearest = try comm.allreduce(nearest, .sum)
        local = [:]

        let results = resolved.inputs.enumerated().map { i, input in
            InputResult(input: input, fields: (0 ..< input.frames.count).map { layout.unpack(packed, at: offsets[i] + $0) },
                        nearest: (0 ..< input.frames.count).map { k in
                            let t = offsets[i] + k
                            return NearestField(distance: nearest[3 * t], reference: Int(nearest[3 * t + 1]), symmetry: Int(nearest[3 * t + 2]))
                        })
        }
        let analysis = CompareAnalysis(results, parameters: p, separations: separations, n: n, boxLength: resolved.boxLength,
                                       velocityBins: statistics.options.velocityBins, vorticityBins: statistics.options.vorticityBins,
                                       boxSizes: statistics.boxSizes)
        try context.rootDecides {
            try CompareOutput.write(analysis, parameters: p, ranks: ranks, path: context.outputPath(p.outputFile), communicator: solo)
        }
        return JobOutcome(succeeded: true, summary: CompareOutput.summary(analysis), outputs: [p.outputFile])
    }

    func options(separations: [Int], n: Int, box: Double, sigmaU: Double, sigmaOmega: Double) -> FieldStatisticsOptions {
        let r = p.pdfRange
        return FieldStatisticsOptions(separations: separations,
                                      velocityBins: HistogramBins(lower: -r * sigmaU, upper: r * sigmaU, count: p.pdfBins),
                                      vorticityBins: HistogramBins(lower: -r * sigmaOmega, upper: r * sigmaOmega, count: p.pdfBins),
                                      dissipation: Dissipation(viscosity: p.viscosity, viscosityOrder: p.viscosityOrder),
                                      boxLength: box)
    }

    /// Refuses (on every rank alike) inputs whose fields, reference transforms and per-field
    /// statistics do not fit a rank's memory, before reading any field.
    func checkMemory(n: Int, fields: Int, references: Int, separations: Int, communicator comm: Communicator) throws {
        let points = Double(n) * Double(n), ranks = Double(comm.size)
        var m = MemoryEstimate()
        m.add("this rank's fields (\((fields + comm.size - 1) / comm.size) of \(n)²)", elements: (Double(fields) / ranks).rounded(.up) * points,
              keys: ["inputs.count", "inputs.stride"])
        m.add("the novelty reference set's transforms (\(references) of \(n)²)", elements: 2 * Double(references) * points,
              keys: ["novelty.reference", "inputs.count"])
        m.add("per-field statistics", elements: Double(fields) * Double(n / 2 + 1 + 10 * separations + 2 * p.pdfBins + 40),
              keys: ["inputs.count", "pdf.bins", "structure.separations"])
        m.add("FFT and velocity work arrays", elements: 12 * points, keys: ["inputs.files"])
        let name = MPIEnvironment.shared.processorName
        let perNode = try comm.allreduce(try comm.allgather(name).filter { $0 == name }.count, .max)
        if let problem = m.problems(available: MemoryEstimate.available(ranksPerNode: perNode), ranksPerNode: perNode).first {
            throw RunError("`\(problem.path ?? "inputs.files")`: \(problem.message) (fix: \(problem.fix))")
        }
    }
}

/// A field's statistics as one flat vector (for the sum over ranks) and back.
struct FieldLayout {
    let shells, orders, separations, velocityBins, vorticityBins, boxes: Int

    init(_ s: VorticityFieldStatistics) {
        shells = s.shellCount
        orders = FieldStatistics.orders.count
        separations = s.options.separations.count
        velocityBins = s.options.velocityBins.count
        vorticityBins = s.options.vorticityBins.count
        boxes = s.boxSizes.count
    }

    var width: Int { shells + 2 * orders * separations + velocityBins + vorticityBins + 4 * boxes + 3 }

    func pack(_ f: FieldStatistics, into out: inout [Double], at t: Int) {
        var values = f.energySpectrum + f.structureAbsolute.flatMap { $0 } + f.structureSigned.flatMap { $0 }
        values += f.velocityCounts + f.vorticityCounts + f.dissipationMoments.flatMap { $0 }
        values += [f.meanDissipation, f.energy, f.enstrophy]
        precondition(values.count == width)
        for (c, v) in values.enumerated() { out[t * width + c] = v }
    }

    func unpack(_ packed: [Double], at t: Int) -> FieldStatistics {
        var cursor = t * width
        func take(_ count: Int) -> [Double] { defer { cursor += count }; return Array(packed[cursor ..< cursor + count]) }
        func rows(_ r: Int, _ c: Int) -> [[Double]] { (0 ..< r).map { _ in take(c) } }
        let spectrum = take(shells), absolute = rows(orders, separations), signedSF = rows(orders, separations)
        let velocity = take(velocityBins), vorticity = take(vorticityBins), moments = rows(boxes, 4)
        let scalars = take(3)
        return FieldStatistics(energySpectrum: spectrum, structureAbsolute: absolute, structureSigned: signedSF,
                               velocityCounts: velocity, vorticityCounts: vorticity, dissipationMoments: moments,
                               meanDissipation: scalars[0], energy: scalars[1], enstrophy: scalars[2])
    }
}

/// One input's per-field results.
struct InputResult {
    var input: CompareInput
    var fields: [FieldStatistics]
    var nearest: [NearestField]
}
