import JobKit
import Linalg

/// The keys of an `rmt-sweep` job.
public struct RMTSweepParameters: ParameterSet {
    @Required("datasets.names", .count(1 ... 64), doc: "A name per dataset (an HDF5 group and a CSV column in the outputs).")
    var names: [String]
    @Required("datasets.types", .count(1 ... 64), doc: "The source type per dataset: hdf5, gaussian, powerlaw, goe, gue or poisson (see `source.type` of `covariance`).")
    var types: [String]
    @Parameter("datasets.files", .count(0 ... 64), doc: "HDF5 file per dataset (\"\" for synthetic ones); may be omitted when none is hdf5.")
    var files: [String] = []
    @Parameter("datasets.paths", .count(0 ... 64), doc: "Dataset path inside each HDF5 file (\"\" for synthetic ones).")
    var paths: [String] = []
    var source = SourceOptions()
    @Parameter("matrix.type", doc: "covariance, correlation or gram (as in the `covariance` kind).")
    var matrixType = MatrixType.covariance
    @Parameter("matrix.solver", .choices(Array(EigenSolver.names.keys).sorted()), doc: "LAPACK symmetric eigensolver.")
    var solverName = "divide-and-conquer"
    @Parameter("sweep.sizes", .count(0 ... 1000, element: 3 ... 1 << 40),
               doc: "Sample counts M (matrix sizes N for goe/gue/poisson, where sizes above `source.size` are skipped); empty: a geometric grid from `min_size` to the whole dataset.")
    var sizes: [Int] = []
    @Parameter("sweep.min_size", .range(3 ... 1 << 40), doc: "Smallest M of the geometric grid.")
    var minSize = 100
    @Parameter("sweep.steps", .range(1 ... 1000), doc: "Points of the geometric grid, the whole dataset included.")
    var steps = 6
    @Parameter("sweep.repeats", .range(1 ... 10000), doc: "Independent nested subsets (or draws) per M, for error bars; repeats are spread over the ranks.")
    var repeats = 3
    @Parameter("output.file", .fileName(extensions: [".h5", ".hdf5"]), doc: "HDF5 file of every statistic per dataset, M and repeat.")
    var outputFile = "sweep.h5"
    @Parameter("output.csv", .fileName(extensions: [".csv"]), doc: "CSV convergence table: mean and standard deviation over repeats per dataset and M.")
    var csvFile = "sweep.csv"
    var statistics = StatisticsParameters()

    public init() {}

    var solver: EigenSolver { EigenSolver.names[solverName]! }
}

extension RMTSweepJob {
    public static let name = "rmt-sweep"
    public static let summary = "Random-matrix statistics of covariance (or Gram) spectra against the number of samples M, for one or more datasets side by side."

    public static func outputNames(_ p: RMTSweepParameters) -> [String] { [p.outputFile, p.csvFile] }

    public static func memoryEstimate(_ p: RMTSweepParameters, ranks: Int) -> MemoryEstimate {
        var m = MemoryEstimate()
        let synthetic = p.types.contains("gaussian") || p.types.contains("powerlaw")
        if synthetic {
            let n = Double(p.source.samples), d = Double(p.source.features)
            m.add("samples", elements: n * d / Double(ranks), keys: ["source.samples", "source.features"])
            CovarianceJob.addMatrix(&m, type: p.matrixType, samples: n, features: d, vectors: false)
        }
        if p.types.contains(where: { ["goe", "gue", "poisson"].contains($0) }) {
            let n = Double(p.source.size)
            m.add("reference matrix", elements: 3 * n * n, keys: ["source.size"])
        }
        return m
    }

    public static func problems(in p: RMTSweepParameters, ranks: Int) -> [ConfigProblem] {
        var problems = p.statistics.problems()
        let names = p.names, types = p.types, files = p.files, paths = p.paths
        if names.isEmpty {
            problems.append(ConfigProblem(path: "datasets.names", message: "is empty", fix: "name at least one dataset"))
        }
        if Set(names).count != names.count || names.contains(where: { $0.isEmpty || $0.contains("/") }) {
            problems.append(ConfigProblem(path: "datasets.names", message: "names must be distinct, non-empty and without \"/\"", fix: "rename them"))
        }
        if types.count != names.count {
            problems.append(ConfigProblem(path: "datasets.types", message: "has \(types.count) entries for \(names.count) names", fix: "give one type per name"))
        }
        for (key, list) in [("datasets.files", files), ("datasets.paths", paths)] where !list.isEmpty && list.count != names.count {
            problems.append(ConfigProblem(path: key, message: "has \(list.count) entries for \(names.count) names", fix: "give one per name (\"\" for synthetic datasets)"))
        }
        guard problems.isEmpty else { return problems }
        for (i, type) in types.enumerated() {
            guard SourceSpec.types.contains(type) else {
                problems.append(ConfigProblem(path: "datasets.types", message: "\"\(type)\" is not a source type",
                                              fix: "use one of \(SourceSpec.types.joined(separator: ", "))"))
                continue
            }
            let spec = SourceSpec(p.source, type: type, file: files.isEmpty ? "" : files[i], dataset: paths.isEmpty ? "" : paths[i])
            problems += spec.problems(fileKey: "datasets.files", datasetKey: "datasets.paths")
            if let levels = CovarianceJob.knownLevels(type: type, p.source), spec.problems(fileKey: "", datasetKey: "").isEmpty {
                problems += p.statistics.problems(levels: levels, source: "dataset \(names[i]) (\(type))")
            }
            if spec.isSpectrum, !p.sizes.isEmpty, !p.sizes.contains(where: { $0 <= spec.size }) {
                problems.append(ConfigProblem(path: "sweep.sizes", message: "has no size ≤ `source.size` = \(spec.size) for \(names[i])",
                                              fix: "raise `source.size` or add smaller sizes"))
            }
        }
        return problems
    }
}
