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
/// Samples are split over ranks in contiguous blocks; the covariance (or Gram) matrix is
/// merged over ranks, rank 0 diagonalises it and analyses the spectrum, and writes the output
/// file (layout in docs/rmt.md). Reference spectra (GOE/GUE/Poisson) skip the matrix step.
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
        let t0 = MPIEnvironment.wtime()
        if spec.isSpectrum {
            log.info("drawing a \(spec.type.uppercased()) spectrum of \(spec.size) levels (seed \(spec.seed))")
            if comm.isRoot { levels = try spec.spectrum(size: spec.size, stream: 0) }
        } else {
            let block = try spec.load(communicator: comm, matrix: matrixType, vectors: wantVectors)
            samples = block.totalSamples
            features = block.features
            log.info("\(spec.type) source: \(samples) samples × \(features) features, \(block.rows) on rank 0; \(matrixType.rawValue) matrix")
            // Only rank 0 solves and writes, so only rank 0 receives the matrix.
            let (m, mu) = try matrixType.compute(block, standardize: spec.standardize, root: 0, communicator: comm)
            let t1 = MPIEnvironment.wtime()
            let dimension = matrixType == .gram ? samples : features
            log.info("\(matrixType.rawValue) matrix \(dimension) × \(dimension) in \(String(format: "%.2f", t1 - t0)) s")
            mean = mu
            if comm.isRoot, let m {
                let eigen = try SymmetricEigen(m, vectors: wantVectors, solver: solver)
                levels = eigen.values
                vectors = eigen.vectors
                log.info("eigen-decomposition (\(p.solverName)) in \(String(format: "%.2f", MPIEnvironment.wtime() - t1)) s")
            }
            if p.writeMatrix { matrix = m }
        }

        // Rank 0 analyses and writes; the others wait for the file (and the verdict) to exist.
        let solo = try comm.split(color: comm.isRoot ? 0 : 1)
        let summary = try context.rootComputes { () -> String in
            let ratio = spec.isSpectrum ? 1 : MatrixType.aspectRatio(samples: samples, features: features)
            let options = p.statistics.options(ratio: ratio, positiveSpectrum: !spec.isSpectrum,
                                               wishart: spec.isSpectrum ? nil : matrixType.wishartShape(samples: samples, features: features))
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
                try AnalysisWriter.vector(file, "/mean", mean)
            }
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
            if let v = vectors {
                let bulk = EigenvectorStatistics.bulkColumns(values: levels, zeroTolerance: options.zeroTolerance, trimLow: options.trimLow,
                                                             trimHigh: options.trimHigh, signal: analysis.marchenkoPastur?.significant ?? 0)
                let e = EigenvectorStatistics(values: levels, vectors: v.elements, dimension: v.rows, bulk: bulk)
                try AnalysisWriter.write(e, to: file, group: "/statistics/eigenvectors")
                let meanIPR = e.inverseParticipationRatio.reduce(0, +) / Double(max(e.inverseParticipationRatio.count, 1))
                let line = String(format: "eigenvectors: mean IPR %.4g (GOE 3/(d+2) = %.4g), Porter–Thomas KS %.4f, p = %.3g over %d bulk vectors",
                                  meanIPR, e.goeReference, e.porterThomasKS, e.porterThomasPValue, bulk.count)
                log.info("\(line)")
            }
            try file.close()
            return CovarianceJob.summary(analysis, levels: levels.count)
        }
        return JobOutcome(succeeded: true, summary: summary, outputs: [fileName])
    }

    /// The few numbers a user wants first.
    static func summary(_ a: SpectralAnalysis, levels: Int) -> String {
        var lines = ["\(levels) eigenvalues, \(a.keptCount) kept after \(a.zerosDropped) zero modes and trimming \(a.trimmedLow)/\(a.trimmedHigh); unfolding \(a.unfoldingName)"]
        lines.append(multipletLine(a.multiplets))
        if let mp = a.marchenkoPastur {
            lines.append(String(format: "Marchenko–Pastur: σ² = %.4g, edge %.4g: %d above the edge, %d above the Tracy–Widom threshold (%.2g); largest TW %.2f, p = %.3g",
                                mp.sigma2, mp.upperEdge, mp.aboveEdge, mp.significant, mp.significance, mp.tracyWidomStatistic, mp.tracyWidomPValue))
        }
        if let p = a.powerLaw {
            let law = a.powerLawConvention == .alpha ? "λ_i ∝ i^-α" : "λ_i ∝ i^-(1+α)"
            lines.append(String(format: "power law %@: α = %.4f over ranks %d…%d%@ (R² %.4f)", law, a.alpha(p), p.firstRank, p.lastRank,
                                p.automatic ? " (automatic)" : "", p.r2)
                         + referenceTriple(a.rankOrderedReference.powerLaw.mapValues { a.alpha($0) }, format: "%.4f"))
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

    /// "N multiplets (a×2, b×3); …" with what was done with them ("0 multiplets" without any).
    static func multipletLine(_ m: MultipletSummary) -> String {
        guard m.count > 0 else { return "0 multiplets (degenerate levels within \(m.tolerance) of the local mean spacing)" }
        let sizes = m.sizeCounts.enumerated().filter { $0.element > 0 }.map { "\($0.element)×\($0.offset + 2)" }.joined(separator: ", ")
        let action = m.mode == .reduce ? "reduced to \(m.distinctLevels) distinct levels for the spacing statistics"
                                       : "kept (statistics.multiplets = \"reduce\" keeps one level each)"
        return "\(m.count) multiplets (\(sizes)); " + action
    }

    /// " (Poisson x, GOE y, GUE z)" of the values present, "" if none.
    static func referenceTriple(_ values: [ReferenceEnsemble: Double], format: String) -> String {
        let parts = ReferenceEnsemble.allCases.compactMap { e in values[e].map { "\(e.rawValue == "poisson" ? "Poisson" : e.rawValue.uppercased()) " + String(format: format, $0) } }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}
