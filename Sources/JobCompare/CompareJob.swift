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
        let reference = resolved.reference
        let storedSide = (resolved.inputs + [reference]).map(\.storedSide).max()!
        try checkMemory(n: n, storedSide: storedSide, fields: total, references: reference.frames.count, separations: separations.count, communicator: comm)
        context.logger.info("turbulence-compare: \(resolved.inputs.count) inputs, \(total) fields of \(n)², \(separations.count) separations, novelty reference \(reference.name) (\(reference.frames.count) fields)")
        for set in resolved.inputs + (resolved.referenceInput == nil ? [reference] : []) where set.coarsening > 1 {
            context.logger.info("turbulence-compare: \(set.name): \(set.storedSide)² fields coarse-grained by \(set.coarsening) × \(set.coarsening) block means (`\(set.coarseningKey)`) to \(n)²")
        }

        // The reference set, on every rank (each searches its own fields against all of it):
        // read in full, so every rank refuses the same non-finite frame without a collective.
        let search = try NoveltySearch2D(n: n)
        let referenceReader = try FrameReader(reference, dataset: p.dataset, solo: solo)
        for k in reference.frames.indices {
            let (field, finite) = try referenceReader.read(k)
            guard finite else { throw nonFinite(reference, frame: reference.frames[k]) }
            search.addReference(field)
        }
        try referenceReader.close()

        // This rank's fields (field t of the concatenated inputs on rank t mod P), refusing NaN/Inf
        // before any statistics.
        let offsets = resolved.offsets
        var local: [Int: [Double]] = [:]
        var firstBad = Int.max
        for (i, input) in resolved.inputs.enumerated() {
            let mine = (0 ..< input.frames.count).filter { (offsets[i] + $0) % ranks == comm.rank }
            guard !mine.isEmpty else { continue }
            let reader = try FrameReader(input, dataset: p.dataset, solo: solo)
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
            throw nonFinite(input, frame: input.frames[firstBad - offsets[i]])
        }

        // Common PDF bins from the baseline's standard deviations: per-field mean squares in
        // their own slots, summed in field order, so that the bins do not depend on the rank count.
        let probe = try VorticityFieldStatistics(n: n, options: options(separations: separations, n: n, box: resolved.boxLength,
                                                                        sigmaU: 1, sigmaOmega: 1))
        let baselineCount = resolved.inputs[0].frames.count
        var squares = [Double](repeating: 0, count: 2 * baselineCount)
        for t in 0 ..< baselineCount {
            guard let field = local[t] else { continue }
            squares[2 * t] = probe.velocityMeanSquare(of: field)
            squares[2 * t + 1] = field.reduce(0) { $0 + $1 * $1 } / Double(n * n)
        }
        squares = try comm.allreduce(squares, .sum)
        var velocitySquares = 0.0, vorticitySquares = 0.0
        for t in 0 ..< baselineCount {
            velocitySquares += squares[2 * t]
            vorticitySquares += squares[2 * t + 1]
        }
        let sigmaU = (velocitySquares / Double(baselineCount) / 2).squareRoot()
        let sigmaOmega = (vorticitySquares / Double(baselineCount)).squareRoot()
        guard sigmaU > 0, sigmaOmega > 0 else {
            throw RunError("`inputs.files[0]` = \"\(resolved.inputs[0].file)\": the baseline's fields are zero, so there is no scale for the PDF bins (fix: put a turbulent input first)")
        }
        let statistics = try VorticityFieldStatistics(n: n, options: options(separations: separations, n: n, box: resolved.boxLength,
                                                                             sigmaU: sigmaU, sigmaOmega: sigmaOmega))
        // Each field's statistics and novelty in its own slot of one array summed over the ranks
        // (the other ranks' slots are zero, so the sum is exact).
        let layout = FieldLayout(statistics)
        var packed = [Double](repeating: 0, count: total * layout.width)
        var nearest = [Double](repeating: 0, count: 3 * total)
        let progress = context.progress("fields", total: Double(total), unit: .count("fields"))
        var done = 0
        for t in local.keys.sorted() {
            layout.pack(statistics.statistics(of: local[t]!), into: &packed, at: t)
            let i = offsets.lastIndex { $0 <= t }!
            let found = search.nearest(to: local[t]!, excluding: resolved.excludedReference(input: i, field: t - offsets[i]))
            (nearest[3 * t], nearest[3 * t + 1], nearest[3 * t + 2]) = (found.distance, Double(found.reference), Double(found.symmetry))
            done += 1
            progress.update(Double(min(done * ranks, total)))
        }
        local = [:]
        packed = try comm.allreduce(packed, .sum)
        nearest = try comm.allreduce(nearest, .sum)

        let results = resolved.inputs.enumerated().map { i, input in
            InputResult(input: input, fields: (0 ..< input.frames.count).map { layout.unpack(packed, at: offsets[i] + $0) },
                        nearest: (0 ..< input.frames.count).map { k in
                            let t = offsets[i] + k
                            return NearestField(distance: nearest[3 * t], reference: Int(nearest[3 * t + 1]), symmetry: Int(nearest[3 * t + 2]))
                        })
        }
        let analysis = CompareAnalysis(results, parameters: p, separations: separations, n: n, boxLength: resolved.boxLength,
                                       velocityBins: statistics.options.velocityBins, vorticityBins: statistics.options.vorticityBins,
                                       boxSizes: statistics.boxSizes, reference: reference)
        try context.rootDecides {
            try CompareOutput.write(analysis, parameters: p, ranks: ranks, path: context.outputPath(p.outputFile), communicator: solo)
        }
        return JobOutcome(succeeded: true, summary: CompareOutput.summary(analysis), outputs: [p.outputFile])
    }

    /// The error for a frame holding NaN or Inf, naming the set's file key and frame keys.
    func nonFinite(_ set: CompareInput, frame: Int) -> RunError {
        RunError("`\(set.fileKey)` = \"\(set.file)\": frame \(frame) of dataset \(p.dataset) holds NaN or Inf values (fix: choose other frames with \(set.framesKeys), or repair the file)")
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
    func checkMemory(n: Int, storedSide: Int, fields: Int, references: Int, separations: Int, communicator comm: Communicator) throws {
        let points = Double(n) * Double(n), ranks = Double(comm.size)
        var m = MemoryEstimate()
        m.add("this rank's fields (\((fields + comm.size - 1) / comm.size) of \(n)²)", elements: (Double(fields) / ranks).rounded(.up) * points,
              keys: ["inputs.count", "inputs.stride"])
        m.add("the novelty reference set's transforms (\(references) of \(n)²)", elements: 2 * Double(references) * points,
              keys: ["novelty.reference", "inputs.count"])
        m.add("per-field statistics", elements: Double(fields) * Double(n / 2 + 1 + 10 * separations + 2 * p.pdfBins + 40),
              keys: ["inputs.count", "pdf.bins", "structure.separations"])
        m.add("FFT and velocity work arrays", elements: 12 * points, keys: ["inputs.files"])
        if storedSide != n {
            m.add("a stored frame before coarse-graining (\(storedSide)²)", elements: Double(storedSide) * Double(storedSide), keys: ["inputs.coarsen", "novelty.coarsen"])
        }
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
