import Covariance
import Foundation
import JobKit
import Linalg
import Logging
import Parallel
import Spectra
import Storage

/// The `covariance` job: one matrix, its spectrum and every random-matrix statistic.
///
/// Samples are split over ranks in contiguous blocks; the covariance (or Gram) matrix is either
/// merged on rank 0 and diagonalised by LAPACK there (`matrix.layout` replicated), or assembled
/// block-cyclically over every rank and diagonalised by ScaLAPACK (distributed; `auto` picks by
/// memory). Rank 0 analyses the spectrum and writes the output file (layout in docs/rmt.md); the
/// distributed eigenvectors are then added by every rank in parallel. Reference spectra
/// (GOE/GUE/Poisson) skip the matrix step.
public struct CovarianceJob: JobKind {
    let p: CovarianceParameters

    public init(parameters: CovarianceParameters) throws { p = parameters }

    public func run(in context: RunContext) throws -> JobOutcome {
        let comm = context.communicator
        let log = context.logger
        let spec = p.spec
        let matrixType = p.matrixType
        let solver = p.solver
        let wantVectors = p.vectors
        let fileName = p.outputFile

        var levels: [Double] = []
        var matrix: Matrix? = nil
        var vectors: Matrix? = nil
        var mean: [Double] = []
        var samples = 0, features = 0
        var layout = MatrixLayout.replicated
        var distributed: DistributedSpectrum? = nil
        var replicatedMatrix: Matrix? = nil  // rank 0's whole matrix (replicated layout), for the D4 sectors
        var fieldShape: [Int] = []
        var extras = ErrorBarResults()
        let t0 = MPIEnvironment.wtime()
        if spec.isSpectrum {
            log.info("drawing a \(spec.type.uppercased()) spectrum of \(spec.size) levels (seed \(spec.seed))")
            if comm.isRoot { levels = try spec.spectrum(size: spec.size, stream: 0) }
        } else {
            let block = try spec.load(communicator: comm, matrix: matrixType, vectors: wantVectors, layout: p.layout,
                                      writeMatrix: p.writeMatrix, blockSize: p.blockSize)
            samples = block.totalSamples
            features = block.features
            log.info("\(spec.type) source: \(samples) samples × \(features) features, \(block.rows) on rank 0; \(matrixType.rawValue) matrix")
            fieldShape = try CovarianceJob.fieldShape(of: spec, features: features, communicator: comm)
            try CovarianceJob.checkFieldModels(p, fieldShape: fieldShape)
            try CovarianceJob.checkErrorBarMemory(p, block: block, communicator: comm)
            let dimension = matrixType == .gram ? samples : features
            let (chosen, reason) = try p.layout.resolved(order: dimension, vectors: wantVectors, writeMatrix: p.writeMatrix,
                                                         blockSize: p.blockSize, needsWholeMatrix: p.errors.sectors, communicator: comm)
            layout = chosen
            log.info("matrix layout \(chosen.rawValue): \(reason)")
            if chosen == .distributed {
                let d = try DistributedSpectrum(block, type: matrixType, standardize: spec.standardize, vectors: wantVectors,
                                                keepMatrix: p.writeMatrix, solver: solver, blockSize: p.blockSize, communicator: comm)
                levels = d.values
                mean = d.mean
                distributed = d
                log.info("\(matrixType.rawValue) matrix \(dimension) × \(dimension) on a \(d.grid.rows) × \(d.grid.columns) grid (blocks of \(d.blockSize), about \(formatBytes(Double(dimension) * Double(dimension) * 8 / Double(comm.size))) of it per rank), \(d.routine): \(String(format: "%.2f", MPIEnvironment.wtime() - t0)) s")
            } else {
                // Only rank 0 solves and writes, so only rank 0 receives the matrix.
                let (m, mu) = try matrixType.compute(block, standardize: spec.standardize, root: 0, communicator: comm)
                let t1 = MPIEnvironment.wtime()
                log.info("\(matrixType.rawValue) matrix \(dimension) × \(dimension) in \(String(format: "%.2f", t1 - t0)) s")
                mean = mu
                if comm.isRoot, let m {
                    let eigen = try SymmetricEigen(m, vectors: wantVectors, solver: solver)
                    levels = eigen.values
                    vectors = eigen.vectors
                    log.info("eigen-decomposition (\(p.solverName)) in \(String(format: "%.2f", MPIEnvironment.wtime() - t1)) s")
                }
                if p.writeMatrix { matrix = m }
                replicatedMatrix = m
            }
            let options = p.statistics.options(ratio: MatrixType.aspectRatio(samples: samples, features: features), positiveSpectrum: true)
            extras = try CovarianceJob.errorBars(p, block: block, fieldShape: fieldShape, matrix: replicatedMatrix, options: options, communicator: comm, log: log)
        }

        // Rank 0 analyses and writes; the others wait for the file (and the verdict) to exist.
        let solo = try comm.split(color: comm.isRoot ? 0 : 1)
        let summary = try context.rootComputes { () -> String in
            let ratio = spec.isSpectrum ? 1 : MatrixType.aspectRatio(samples: samples, features: features)
            let options = p.statistics.options(ratio: ratio, positiveSpectrum: !spec.isSpectrum)
            let t2 = MPIEnvironment.wtime()
            let analysis = SpectralAnalysis(levels: levels, options: options)
            log.info("statistics of \(analysis.keptCount) kept levels in \(String(format: "%.2f", MPIEnvironment.wtime() - t2)) s")
            for warning in analysis.warnings { log.warning("\(warning)") }
            let file = try H5File.create(context.outputPath(fileName), communicator: solo)
            try file.setAttribute("cascade_version", .string(CascadeVersion.current))
            try file.setAttribute("kind", .string("covariance"))
            try file.setAttribute("source_type", .string(spec.type))
            try file.setAttribute("ranks", .int(comm.size))
            if spec.isSpectrum {
                try file.setAttribute("size", .int(spec.size))
            } else {
                try file.setAttribute("matrix_type", .string(matrixType.rawValue))
                try file.setAttribute("samples", .int(samples))
                try file.setAttribute("features", .int(features))
                try file.setAttribute("standardize", .int(spec.standardize ? 1 : 0))
                try file.setAttribute("solver", .string(p.solverName))
                try file.setAttribute("matrix_layout", .string(layout.rawValue))
                if let distributed {
                    try file.setAttribute("eigen_routine", .string(distributed.routine))
                    try file.setAttribute("process_grid", .ints([distributed.grid.rows, distributed.grid.columns]))
                    try file.setAttribute("block_size", .int(distributed.blockSize))
                }
                try Provenance.matrix(matrixType, standardize: spec.standardize, on: "/", of: file)
                try Provenance.source(spec, samples: samples, fieldShape: fieldShape, on: "/", of: file)
                try AnalysisWriter.vector(file, "/mean", mean)
            }
            try Provenance.statistics(p.statistics, on: "/", of: file)
            try AnalysisWriter.vector(file, "/eigenvalues", levels)
            if let v = vectors {
                try file.createDataset("/eigenvectors", of: Double.self, shape: [v.rows, v.columns])
                try file.write("/eigenvectors", v.elements, offset: [0, 0], count: [v.rows, v.columns])
            }
            if let m = matrix {
                try file.createDataset("/matrix", of: Double.self, shape: [m.rows, m.columns])
                try file.write("/matrix", m.elements, offset: [0, 0], count: [m.rows, m.columns])
            }
            try AnalysisWriter.write(analysis, to: file, group: "/statistics")
            try ErrorBarWriter.ksPValues(analysis, to: file, group: "/statistics")
            let lengthIndex = NullComparison.lengthIndex(p.errors.errorLength, in: options.lengths)
            let compared = NullComparison.columns(errorLengthIndex: lengthIndex, lengths: options.lengths)
            if let b = extras.bootstrap { try ErrorBarWriter.bootstrap(b, seed: p.errors.bootstrapSeed, to: file) }
            try ErrorBarWriter.nulls(extras, data: analysis, parameters: p.null, compared: compared,
                                     errorLength: options.lengths[lengthIndex], to: file)
            try ErrorBarWriter.sectors(extras.sectors, to: file)
            try file.close()
            return CovarianceJob.summary(analysis, levels: levels.count)
                + CovarianceJob.errorBarSummary(extras, data: analysis, compared: compared)
        }
        // The distributed eigenvectors (and matrix) are added by every rank, each writing its blocks.
        try distributed?.write(toFileAt: context.outputPath(fileName), communicator: comm)
        return JobOutcome(succeeded: true, summary: summary, outputs: [fileName])
    }

    /// The few numbers a user wants first.
    static func summary(_ a: SpectralAnalysis, levels: Int) -> String {
        var lines = ["\(levels) eigenvalues, \(a.keptCount) kept after \(a.zerosDropped) zero modes and trimming \(a.trimmedLow)/\(a.trimmedHigh); unfolding \(a.unfoldingName)"]
        if let p = a.powerLaw {
            lines.append(String(format: "power law λ_i ∝ i^-(1+α): α = %.4f over ranks %d…%d%@ (R² %.4f)", p.alpha, p.firstRank, p.lastRank,
                                p.automatic ? " (automatic)" : "", p.r2)
                         + referenceTriple(a.rankOrderedReference.powerLaw.mapValues(\.alpha), format: "%.4f"))
        }
        lines.append(String(format: "⟨r⟩ = %.4f (Poisson %.4f, GOE %.4f, GUE %.4f); Brody β = %.3f; KS to Poisson/GOE/GUE %.3f/%.3f/%.3f",
                            a.meanGapRatio, ReferenceEnsemble.poisson.meanGapRatio, ReferenceEnsemble.goe.meanGapRatio,
                            ReferenceEnsemble.gue.meanGapRatio, a.brodyBeta, a.ksDistance[.poisson]!, a.ksDistance[.goe]!, a.ksDistance[.gue]!))
        if let k = a.rigidity.x.indices.last {
            lines.append(String(format: "at L = %g: Σ² = %.3f (Poisson %.3f, GOE %.3f), Δ₃ = %.4f (Poisson %.4f, GOE %.4f)", a.rigidity.x[k],
                                a.numberVariance.measured[k], a.numberVariance.references[.poisson]![k], a.numberVariance.references[.goe]![k],
                                a.rigidity.measured[k], a.rigidity.references[.poisson]![k], a.rigidity.references[.goe]![k]))
        }
        let e = a.rankOrderedReference.entropy
        lines.append(String(format: "spectral entropy %.4f nats", a.entropy) + referenceTriple(e.mapValues(\.entropy), format: "%.4f")
                     + String(format: ", effective rank %.2f", a.effectiveRank) + referenceTriple(e.mapValues(\.effectiveRank), format: "%.2f"))
        lines += a.warnings.map { "warning: \($0)" }
        return lines.joined(separator: "\n")
    }

    /// Per null model and statistic: the data ± its bootstrap error, the null's mean ± standard deviation, z and the rule's
    /// answer; the bootstrap errors; each sector's level count and ⟨r⟩.
    static func errorBarSummary(_ r: ErrorBarResults, data: SpectralAnalysis, compared: [String]) -> String {
        var lines: [String] = []
        if let b = r.bootstrap {
            let se = r.stderr!
            let parts = compared.map { name in String(format: "%@ %.4g ± %.2g", name, data.scalars[b.columns.firstIndex(of: name)!], se[b.columns.firstIndex(of: name)!]) }
            lines.append("bootstrap (\(b.rows.count) resamples): " + parts.joined(separator: ", "))
        }
        for (model, scalars) in r.nulls {
            let c = NullComparison(data: data.scalars, stderr: r.stderr, null: scalars, columns: compared)
            let parts = c.rows.map { row in
                String(format: "%@ %.4g vs %.4g ± %.2g (z %.1f%@)", row.column, row.data, row.nullMean, row.nullStd, row.z, row.differs ? ", differs" : "")
            }
            lines.append("null \(model.rawValue) (\(scalars.rows.count) repeats; differs when z > 2): " + parts.joined(separator: "; "))
        }
        for s in r.sectors {
            lines.append(String(format: "sector %@: %d levels (dimension %d%@), ⟨r⟩ = %.4f", s.irrep.rawValue, s.analysis.keptCount, s.dimension,
                                s.irrep == .e ? ", one partner" : "", s.analysis.meanGapRatio))
        }
        return lines.isEmpty ? "" : "\n" + lines.joined(separator: "\n")
    }

    /// " (Poisson x, GOE y, GUE z)" of the values present, "" if none.
    static func referenceTriple(_ values: [ReferenceEnsemble: Double], format: String) -> String {
        let parts = ReferenceEnsemble.allCases.compactMap { e in values[e].map { "\(e.rawValue == "poisson" ? "Poisson" : e.rawValue.uppercased()) " + String(format: format, $0) } }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}
