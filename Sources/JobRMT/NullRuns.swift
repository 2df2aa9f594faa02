import Covariance
import Datasets
import Foundation
import JobKit
import Linalg
import Logging
import Parallel
import Spectra

/// One D4 sector's spectrum: the nonzero eigenvalues of P_Γ M P_Γ and their analysis.
struct SectorSpectrum {
    var irrep: D4Irrep
    /// dim of the projected subspace (E: one partner).
    var dimension: Int
    /// Its eigenvalues, ascending (the `dimension` largest of P M P; the others are zero by construction).
    var levels: [Double]
    var analysis: SpectralAnalysis
}

/// What a `covariance` job computes beyond the data's own spectrum: bootstrap resamples, null models and D4
/// sectors. Held on rank 0 (empty elsewhere).
struct ErrorBarResults {
    var bootstrap: RepeatedScalars?
    var nulls: [(model: NullModelName, scalars: RepeatedScalars)] = []
    var sectors: [SectorSpectrum] = []

    /// The bootstrap standard error of each scalar column (nil without bootstrap).
    var stderr: [Double]? {
        bootstrap.map { b in b.columns.indices.map { b.meanStd($0).std } }
    }
}

extension CovarianceJob {
    /// The field shape of the selected samples (to reshape eigenvectors, for phase surrogates and D4 sectors):
    /// the dataset's trailing axes after crop and coarse-graining; [features] for synthetic sources. Collective.
    static func fieldShape(of spec: SourceSpec, features: Int, communicator comm: Communicator) throws -> [Int] {
        guard spec.type == "hdf5" else { return [features] }
        do {
            return try DatasetReader.resolve(spec.selection, communicator: comm).fieldShape
        } catch let e as DatasetError {
            throw CovarianceError(e.message(naming: spec.key(for: e.field)))
        }
    }

    /// Refuses, before heavy work and on every rank alike, phase surrogates and sectors of data that are not a
    /// periodic field of the right shape.
    static func checkFieldModels(_ p: CovarianceParameters, fieldShape: [Int]) throws {
        if p.null.nullModels.contains(.phase) {
            guard (1 ... 3).contains(fieldShape.count) else {
                throw RunError("`null.models`: \"phase\" needs fields on a periodic 1-, 2- or 3-D grid; the samples of \(p.spec.selection.dataset) have field shape \(fieldShape) (fix: remove \"phase\", or select a dataset of fields)")
            }
        }
        if p.errors.sectors {
            guard fieldShape.count == 2, fieldShape[0] == fieldShape[1] else {
                throw RunError("`statistics.sectors`: the D4 sectors need square periodic 2-D fields (N × N); the samples have field shape \(fieldShape) (fix: set statistics.sectors = false, or crop/select a square periodic field)")
            }
        }
    }

    /// Bootstrap, null models and sectors. Collective; `matrix` is the data's matrix on rank 0 (nil elsewhere).
    static func errorBars(_ p: CovarianceParameters, block: SampleBlock, fieldShape: [Int], matrix: Matrix?, options: AnalysisOptions,
                          communicator comm: Communicator, log: Logger) throws -> ErrorBarResults {
        var results = ErrorBarResults()
        let type = p.matrixType, standardize = p.spec.standardize
        if comm.isRoot, p.errors.sectors, let m = matrix {
            let t = MPIEnvironment.wtime()
            let symmetry = SquareSymmetry(side: fieldShape[0])
            for irrep in D4Irrep.allCases {
                let dimension = symmetry.dimension(irrep)
                let all = try SymmetricEigen(symmetry.project(m, irrep), vectors: false).values
                let levels = Array(all.suffix(dimension))
                // The sector's own Marchenko–Pastur ratio: its dimension against the samples.
                let sectorOptions = p.statistics.options(ratio: MatrixType.aspectRatio(samples: block.totalSamples, features: dimension),
                                                         positiveSpectrum: true)
                results.sectors.append(SectorSpectrum(irrep: irrep, dimension: dimension, levels: levels,
                                                      analysis: SpectralAnalysis(levels: levels, options: sectorOptions)))
            }
            log.info("D4 sectors A1/A2/B1/B2/E of dimensions \(results.sectors.map(\.dimension).map(String.init).joined(separator: "/")) (E: one partner) in \(String(format: "%.2f", MPIEnvironment.wtime() - t)) s")
        }
        if p.errors.bootstrap > 0 {
            let t = MPIEnvironment.wtime(), seed = UInt64(p.errors.bootstrapSeed), n = block.totalSamples
            results.bootstrap = try RepeatedScalars.run(repeats: p.errors.bootstrap, matrix: type, standardize: standardize, options: options,
                                                        communicator: comm) { k in
                NullSamples.resampled(block, counts: NullSamples.bootstrapCounts(samples: n, seed: seed, repeat: k))
            }
            log.info("bootstrap: \(p.errors.bootstrap) resamples in \(String(format: "%.2f", MPIEnvironment.wtime() - t)) s")
        }
        let seed = UInt64(p.null.seed)
        for model in p.null.nullModels {
            let t = MPIEnvironment.wtime()
            let make: (Int) throws -> SampleBlock
            switch model {
            case .wishart:
                let l = try wishartFactor(block, population: p.null.population, communicator: comm)
                make = { NullSamples.wishart(like: block, factor: l, seed: seed, repeat: $0) }
            case .phase:
                make = { try NullSamples.phaseRandomised(block, fieldShape: fieldShape, seed: seed, repeat: $0) }
            case .shuffle:
                make = { try NullSamples.shuffled(block, seed: seed, repeat: $0, communicator: comm) }
            }
            let scalars = try RepeatedScalars.run(repeats: p.null.repeats, matrix: type, standardize: standardize, options: options,
                                                  communicator: comm, make: make)
            if let scalars { results.nulls.append((model, scalars)) }
            log.info("null model \(model.rawValue): \(p.null.repeats) surrogates in \(String(format: "%.2f", MPIEnvironment.wtime() - t)) s")
        }
        return results
    }

    /// Refuses (every rank alike, before any surrogate is made) surrogates, resamples and the Wishart factor that
    /// do not fit beside the data: the same estimate as ``CovarianceJob/memoryEstimate(_:ranks:)``, with the dataset's
    /// real size (an hdf5 source is sized only once it is open).
    static func checkErrorBarMemory(_ p: CovarianceParameters, block: SampleBlock, communicator comm: Communicator) throws {
        guard p.errors.bootstrap > 0 || !p.null.models.isEmpty || p.errors.sectors else { return }
        var m = MemoryEstimate()
        let n = Double(block.totalSamples), d = Double(block.features)
        m.add("samples", elements: n * d / Double(comm.size), keys: ["source.samples"])
        addMatrix(&m, type: p.matrixType, samples: n, features: d, vectors: p.vectors)
        addErrorBars(&m, p, samples: n, features: d, ranks: comm.size)
        let name = MPIEnvironment.shared.processorName
        let perNode = try comm.allreduce(try comm.allgather(name).filter { $0 == name }.count, .max)
        if let problem = m.problems(available: MemoryEstimate.available(ranksPerNode: perNode), ranksPerNode: perNode).first {
            throw RunError("null models, bootstrap and sectors: \(problem.message) (fix: \(problem.fix))")
        }
    }

    /// The d × d factor L (every rank) of the Wishart null's population covariance: the data's sample covariance
    /// (`sample`), or its mean variance times the identity (`identity`). Computed on rank 0 and broadcast.
    static func wishartFactor(_ block: SampleBlock, population: String, communicator comm: Communicator) throws -> Matrix {
        let d = block.features
        let (_, c) = try ShardedCovariance.covariance(block, root: 0, communicator: comm)
        var l = Matrix(rows: d, columns: d)
        var problem = ""
        if let c {
            if population == "identity" {
                let s = ((0 ..< d).reduce(0.0) { $0 + c[$1, $1] } / Double(d)).squareRoot()
                for i in 0 ..< d { l[i, i] = s }
            } else {
                do { l = try NullSamples.factor(ofCovariance: c) } catch { problem = "\(error)" }
            }
        }
        problem = try comm.broadcast(problem)
        if !problem.isEmpty { throw CovarianceError("the Wishart null's factor: \(problem)") }
        try comm.broadcast(&l.elements)
        return l
    }
}
