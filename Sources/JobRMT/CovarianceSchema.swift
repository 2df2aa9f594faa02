import DistributedLinalg
import JobKit
import Linalg

/// The keys of a `covariance` job.
public struct CovarianceParameters: ParameterSet {
    @Required("source.type",
              doc: "hdf5: a dataset of samples; gaussian: uncorrelated normal features; powerlaw: Gaussian features with Toeplitz correlation ρ(k) ∝ k^−exponent; goe, gue, poisson: a reference spectrum of `size` levels.")
    var sourceType: SourceType
    @Parameter("source.file", doc: "hdf5: the HDF5 file (relative to the directory cascade runs in).")
    var sourceFile = ""
    @Parameter("source.dataset", doc: "hdf5: the dataset inside the file; samples along its first axis, any trailing shape flattened to features.")
    var sourceDataset = ""
    var source = SourceOptions()
    @Parameter("matrix.type", doc: "covariance (d × d, ddof 1, as np.cov), correlation (d × d), or gram (n × n, (1/d)·X̃X̃ᵀ of the centred samples).")
    var matrixType = MatrixType.covariance
    @Parameter("matrix.write", doc: "Write the matrix itself to the output file as /matrix.")
    var writeMatrix = false
    @Parameter("matrix.solver", .choices(Array(EigenSolver.names.keys).sorted()),
               doc: "Symmetric eigensolver: dsyevd (divide-and-conquer) or dsyevr (mrrr) of LAPACK; with the distributed layout pdsyevd or pdsyevr of ScaLAPACK (pdsyevr also for divide-and-conquer without vectors).")
    var solverName = "divide-and-conquer"
    @Parameter("matrix.vectors", doc: "Also compute the eigenvectors and write them as /eigenvectors (columns).")
    var vectors = false
    @Parameter("matrix.layout",
               doc: "auto: replicated when the matrix, the solver's copy and the vectors fit in half a rank's memory (always on 1 rank), distributed otherwise; replicated: the whole matrix on rank 0, LAPACK; distributed: 2-D block-cyclic over every rank (ScaLAPACK pdsyevd, or pdsyevr for mrrr and for values only), no rank holding the whole matrix, eigenvectors written in parallel. The log says which ran and why.")
    var layout = MatrixLayout.auto
    @Parameter("matrix.block_size", .range(1 ... 4096), doc: "distributed: block size nb of the block-cyclic layout (rows and columns).")
    var blockSize = DistributedSymmetricMatrix.defaultBlockSize
    @Parameter("output.file", .fileName(extensions: [".h5", ".hdf5"]), doc: "HDF5 file written into the output directory.")
    var outputFile = "rmt.h5"
    var statistics = StatisticsParameters()
    var errors = ErrorBarParameters()
    var null = NullParameters()

    public init() {}

    var spec: SourceSpec { SourceSpec(source, type: sourceType.rawValue, file: sourceFile, dataset: sourceDataset) }
    var solver: EigenSolver { EigenSolver.names[solverName]! }
}

extension CovarianceJob {
    public static let name = "covariance"
    public static let summary = "Covariance, correlation or Gram matrix of a dataset sharded over ranks, its eigen-spectrum and random-matrix statistics."

    public static func outputNames(_ p: CovarianceParameters) -> [String] { [p.outputFile] }

    public static func problems(in p: CovarianceParameters, ranks: Int) -> [ConfigProblem] {
        var problems = p.spec.problems(fileKey: "source.file", datasetKey: "source.dataset") + p.statistics.problems() + p.null.problems()
        problems += errorBarProblems(p)
        if problems.isEmpty, let levels = knownLevels(type: p.sourceType.rawValue, p.source) {
            problems += p.statistics.problems(levels: levels, source: "the \(p.sourceType.rawValue) spectrum")
        }
        return problems
    }

    /// Null models, bootstrap and sectors need samples; sectors a d × d matrix of a square field; phase surrogates periodic fields.
    static func errorBarProblems(_ p: CovarianceParameters) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let spectrum = p.spec.isSpectrum
        if spectrum && !p.null.models.isEmpty {
            problems.append(ConfigProblem(p.null.$models, "null models need samples; a \(p.sourceType.rawValue) source is a spectrum",
                                          fix: "use an hdf5, gaussian or powerlaw source, or remove null.models"))
        }
        if spectrum && p.errors.bootstrap > 0 {
            problems.append(ConfigProblem(p.errors.$bootstrap, "the bootstrap resamples samples; a \(p.sourceType.rawValue) source is a spectrum",
                                          fix: "set statistics.bootstrap = 0, or use a source of samples"))
        }
        if p.errors.sectors && (spectrum || p.matrixType == .gram || p.sourceType != .hdf5) {
            problems.append(ConfigProblem(p.errors.$sectors, "D4 sectors need an hdf5 dataset of square 2-D fields and a covariance or correlation matrix (found source \(p.sourceType.rawValue), matrix \(p.matrixType.rawValue))",
                                          fix: "set statistics.sectors = false, or use source.type = \"hdf5\" with matrix.type = \"covariance\" or \"correlation\""))
        }
        let periodicKeys = p.sourceType == .hdf5 && !p.source.crop.isEmpty
        if p.null.nullModels.contains(.phase) && p.sourceType == .powerlaw {
            problems.append(ConfigProblem(p.null.$models, "\"phase\" needs fields on a periodic grid; the powerlaw source's Toeplitz correlation is not periodic",
                                          fix: "remove \"phase\", or use an hdf5 dataset of periodic fields"))
        }
        if periodicKeys && (p.null.nullModels.contains(.phase) || p.errors.sectors) {
            problems.append(ConfigProblem(p.source.$crop, "a cropped window of a periodic field is not periodic: phase surrogates and D4 sectors need whole periods",
                                          fix: "remove source.crop (coarse-graining keeps periodicity), or remove \"phase\" and statistics.sectors"))
        }
        if p.errors.sectors && p.layout == .distributed {
            problems.append(ConfigProblem(p.$layout, "the D4 sectors project the whole d × d matrix on rank 0, which the distributed layout never forms",
                                          fix: "set matrix.layout = \"replicated\" (or \"auto\", which then keeps the matrix on rank 0), or statistics.sectors = false"))
        }
        return problems
    }

    /// The nonzero levels of a spectrum when the parameters fix them: `source.size` for reference
    /// spectra, min(samples − 1, features) for synthetic samples (centring removes one); nil for hdf5.
    static func knownLevels(type: String, _ s: SourceOptions) -> Int? {
        switch type {
        case "goe", "gue", "poisson": return s.size
        case "gaussian", "powerlaw": return max(0, min(s.samples - 1, s.features))
        default: return nil
        }
    }

    public static func memoryEstimate(_ p: CovarianceParameters, ranks: Int) -> MemoryEstimate {
        var m = MemoryEstimate()
        let spec = p.spec
        switch p.sourceType {
        case .goe, .gue, .poisson:
            let n = Double(p.source.size)
            m.add("reference matrix", elements: 3 * n * n, keys: ["source.size"])
        case .gaussian, .powerlaw:
            let n = Double(spec.samples), d = Double(spec.features)
            m.add("samples", elements: n * d / Double(ranks), keys: ["source.samples", "source.features"])
            addMatrix(&m, type: p.matrixType, samples: n, features: d, vectors: p.vectors, layout: p.layout,
                      writeMatrix: p.writeMatrix, ranks: ranks, blockSize: p.blockSize)
            addErrorBars(&m, p, samples: n, features: d, ranks: ranks)
        case .hdf5:
            // The file's shape is known only when the job runs; the sample count bounds it.
            break
        }
        return m
    }

    /// A surrogate or resampled block beside the data (3 with the shuffle's transposes), the Wishart factor L
    /// (d × d on every rank) and the D4 sectors' projected matrices (rank 0).
    static func addErrorBars(_ m: inout MemoryEstimate, _ p: CovarianceParameters, samples n: Double, features d: Double, ranks: Int) {
        let models = p.null.nullModels
        if p.errors.bootstrap > 0 || !models.isEmpty {
            m.add("surrogate samples", elements: (models.contains(.shuffle) ? 3 : 1) * n * d / Double(ranks), keys: ["null.models", "statistics.bootstrap"])
        }
        if models.contains(.wishart) { m.add("Wishart factor (d × d)", elements: 2 * d * d, keys: ["null.models", "source.features"]) }
        if p.errors.sectors { m.add("D4 sector matrices (d × d, rank 0)", elements: 3 * d * d, keys: ["statistics.sectors", "source.coarse"]) }
    }

    /// The matrix per rank: replicated, its copy for the eigen-solver and the eigenvectors on rank 0;
    /// distributed, each rank's 1/P share of them (``MatrixLayout/planBytes(order:vectors:writeMatrix:ranks:blockSize:)``).
    static func addMatrix(_ m: inout MemoryEstimate, type: MatrixType, samples n: Double, features d: Double, vectors: Bool,
                          layout: MatrixLayout = .replicated, writeMatrix: Bool = false, ranks: Int = 1,
                          blockSize: Int = DistributedSymmetricMatrix.defaultBlockSize) {
        let order = type == .gram ? n : d
        let key = type == .gram ? "source.samples" : "source.features"
        let bytes = layout.planBytes(order: order, vectors: vectors, writeMatrix: writeMatrix, ranks: ranks, blockSize: blockSize)
        m.add("\(type.rawValue) matrix (\(Int(min(order, 1e15))) × \(Int(min(order, 1e15))), \(layout.rawValue) layout)", elements: bytes / 8,
              keys: [key, "matrix.type", "matrix.layout"])
    }
}
