import Covariance
import Datasets
import Foundation
import JobKit
import Linalg
import Parallel
import Spectra

/// The `rmt-sweep` job: every statistic of the `covariance` kind as a function of the sample
/// count M, over nested random subsets (several repeats per M), for several datasets.
///
/// Work is split two ways: each matrix is accumulated by all ranks (samples stay where they
/// were read), and the eigen-solves and statistics of the (M, repeat) tasks are spread over the
/// ranks (task t on rank t mod P); results are combined with one reduction per dataset.
public struct RMTSweepJob: JobKind {
    let p: RMTSweepParameters

    public init(parameters: RMTSweepParameters) throws { p = parameters }

    /// One dataset's results: per (M, repeat) task a packed vector (``Layout``).
    struct DatasetResult {
        var name: String
        var spec: SourceSpec
        var sizes: [Int]
        var totalSamples: Int
        var features: Int
        /// The samples' field shape (provenance; empty for reference spectra).
        var fieldShape: [Int]
        var packed: [Double]
    }

    /// Packed per-task vector: scalars, spacing density, gap-ratio density, form factor.
    struct Layout {
        let scalarCount, spacingBins, ratioBins, tauPoints: Int
        var width: Int { scalarCount + spacingBins + ratioBins + tauPoints }

        func pack(_ a: SpectralAnalysis) -> [Double] {
            a.scalars + a.spacing.measured + a.gapRatio.measured + a.formFactor.measured
        }
    }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let names = p.names, types = p.types, files = p.files, paths = p.paths
        let repeats = p.repeats
        let reference = p.statistics.options(ratio: 1, positiveSpectrum: false)
        let layout = Layout(scalarCount: SpectralAnalysis.scalarNames(lengths: reference.lengths).count,
                            spacingBins: reference.spacingBins, ratioBins: reference.ratioBins, tauPoints: reference.tauPoints)
        var results: [DatasetResult] = []
        for (i, name) in names.enumerated() {
            let spec = SourceSpec(p.source, type: types[i], file: files.isEmpty ? "" : files[i],
                                  dataset: paths.isEmpty ? "" : paths[i], datasetIndex: i)
            results.append(try sweep(name: name, spec: spec, repeats: repeats, layout: layout, context: context))
        }
        let fileName = p.outputFile, csvName = p.csvFile
        let solo = try comm.split(color: comm.isRoot ? 0 : 1)
        try context.rootDecides {
            try SweepOutput.writeHDF5(results, layout: layout, repeats: repeats, options: reference, parameters: p,
                                      ranks: comm.size, path: context.outputPath(fileName), communicator: solo)
            try AtomicFile.write(SweepOutput.csv(results, layout: layout, repeats: repeats, lengths: reference.lengths),
                                 to: URL(fileURLWithPath: context.outputPath(csvName)))
        }
        let summary = SweepOutput.summary(results, layout: layout, repeats: repeats, lengths: reference.lengths)
        return JobOutcome(succeeded: true, summary: summary, outputs: [fileName, csvName])
    }

    /// Runs every (M, repeat) task of one dataset; returns the packed results on every rank.
    func sweep(name: String, spec: SourceSpec, repeats: Int, layout: Layout, context: RunContext) throws -> DatasetResult {
        let comm = context.communicator
        let log = context.logger
        let matrixType = p.matrixType
        let solver = p.solver
        let explicit = p.sizes
        var block: SampleBlock? = nil
        let total: Int
        if spec.isSpectrum {
            total = spec.size
        } else {
            block = try spec.load(communicator: comm, matrix: p.matrixType)
            total = block!.totalSamples
            if let bad = explicit.first(where: { $0 > total }) {
                throw RunError("`sweep.sizes`: M = \(bad) but dataset \(name) has only \(total) samples (fix: use sizes ≤ \(total))")
            }
        }
        // Reference spectra use the listed sizes up to their `source.size`; datasets refuse larger ones (above).
        let sizes = SweepPlan.sizes(explicit: spec.isSpectrum ? explicit.filter { $0 <= total } : explicit, minimum: p.minSize, steps: p.steps, total: total)
        let features = block?.features ?? 0
        let fieldShape = spec.isSpectrum ? [] : try CovarianceJob.fieldShape(of: spec, features: features, communicator: comm)
        log.info("\(name): \(spec.type), \(total) \(spec.isSpectrum ? "levels" : "samples × \(features) features"); M = \(sizes.map(String.init).joined(separator: ", ")); \(repeats) repeat(s)")
        let tasks = sizes.count * repeats
        var packed = [Double](repeating: 0, count: tasks * layout.width)
        let progress = context.progress("\(name) (M, repeat) tasks", total: Double(tasks), unit: .count("tasks"))
        func store(_ task: Int, _ a: SpectralAnalysis) {
            let v = layout.pack(a)
            precondition(v.count == layout.width, "packed statistics have \(v.count) values, layout \(layout.width)")
            for k in 0 ..< layout.width { packed[task * layout.width + k] = v[k] }
        }
        if spec.isSpectrum {
            let options = p.statistics.options(ratio: 1, positiveSpectrum: false)
            for task in 0 ..< tasks where task % comm.size == comm.rank {
                let (m, r) = (sizes[task / repeats], task % repeats)
                store(task, SpectralAnalysis(levels: try spec.spectrum(size: m, stream: UInt64(r)), options: options))
                progress.update(task + 1)
            }
        } else {
            let positions = (0 ..< repeats).map { SweepPlan.positions(total: total, seed: spec.seed, repeatIndex: $0) }
            let local = block!
            var start = 0
            while start < tasks {
                // One matrix per rank at a time: accumulate a group of P tasks together, then solve in parallel.
                let group = start ..< min(start + comm.size, tasks)
                var mine: (task: Int, matrix: Matrix)? = nil
                for task in group {
                    let (m, r) = (sizes[task / repeats], task % repeats)
                    let keep = local.sampleRange.map { positions[r][$0] < m }
                    // Reduced onto the rank that solves this task only.
                    let (matrix, _) = try matrixType.compute(local.selecting(keep), standardize: spec.standardize,
                                                             root: task % comm.size, communicator: comm)
                    if let matrix { mine = (task, matrix) }
                }
                if let (task, matrix) = mine {
                    let m = sizes[task / repeats]
                    let levels = try SymmetricEigen(matrix, solver: solver).values
                    let options = p.statistics.options(ratio: MatrixType.aspectRatio(samples: m, features: features), positiveSpectrum: true)
                    store(task, SpectralAnalysis(levels: levels, options: options))
                }
                start = group.upperBound
                progress.update(start)
            }
        }
        try comm.allreduce(inPlace: &packed, .sum)
        // Tasks solve on every rank and warnings print on every rank: rank 0 counts them from the packed columns.
        let columns = SpectralAnalysis.scalarNames(lengths: p.statistics.options(ratio: 1, positiveSpectrum: false).lengths)
        let fallbackColumn = columns.firstIndex(of: "unfolding_fallback")!, ksColumn = columns.firstIndex(of: "ks_poisson")!
        let fallbacks = (0 ..< tasks).filter { packed[$0 * layout.width + fallbackColumn] != 0 }.count
        let undefined = (0 ..< tasks).filter { packed[$0 * layout.width + ksColumn].isNaN }.count
        if comm.isRoot && fallbacks > 0 {
            log.warning("\(name): the unfolding asked for was replaced (a lower polynomial degree) in \(fallbacks) of \(tasks) tasks (column unfolding_fallback)")
        }
        if comm.isRoot && undefined > 0 {
            log.warning("\(name): statistics of unfolded levels undefined (NaN) in \(undefined) of \(tasks) tasks: fewer than \(SpectralAnalysis.minimumKeptLevels) kept levels or no spread")
        }
        return DatasetResult(name: name, spec: spec, sizes: sizes, totalSamples: total, features: features, fieldShape: fieldShape, packed: packed)
    }
}
