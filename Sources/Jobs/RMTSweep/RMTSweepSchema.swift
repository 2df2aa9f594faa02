extension RMTSweepJob {
    public static let schema = JobSchema(
        kind: "rmt-sweep",
        summary: "Random-matrix statistics of covariance (or Gram) spectra against the number of samples M, for one or more datasets side by side.",
        fields: [
            ConfigField("datasets.names", .stringArray, default: nil, "A name per dataset (an HDF5 group and a CSV column in the outputs)."),
            ConfigField("datasets.types", .stringArray, default: nil, "The source type per dataset: hdf5, gaussian, powerlaw, goe, gue or poisson (see `source.type` of `covariance`)."),
            ConfigField("datasets.files", .stringArray, default: .array([]), "HDF5 file per dataset (\"\" for synthetic ones); may be omitted when none is hdf5."),
            ConfigField("datasets.paths", .stringArray, default: .array([]), "Dataset path inside each HDF5 file (\"\" for synthetic ones)."),
        ] + SourceSpec.fields.filter { !["source.type", "source.file", "source.dataset"].contains($0.path) } + [
            ConfigField("matrix.type", .string(choices: MatrixType.allCases.map(\.rawValue)), default: .string("covariance"),
                        "covariance, correlation or gram (as in the `covariance` kind)."),
            ConfigField("matrix.solver", .string(choices: ["divide-and-conquer", "mrrr"]), default: .string("divide-and-conquer"),
                        "LAPACK symmetric eigensolver."),
            ConfigField("sweep.sizes", .intArray(count: 0 ... 1000, element: 3 ... Int.max), default: .array([]),
                        "Sample counts M (matrix sizes N for goe/gue/poisson, where sizes above `source.size` are skipped); empty: a geometric grid from `min_size` to the whole dataset."),
            ConfigField("sweep.min_size", .int(3 ... Int.max), default: .int(100), "Smallest M of the geometric grid."),
            ConfigField("sweep.steps", .int(1 ... 1000), default: .int(6), "Points of the geometric grid, the whole dataset included."),
            ConfigField("sweep.repeats", .int(1 ... 10000), default: .int(3),
                        "Independent nested subsets (or draws) per M, for error bars; repeats are spread over the ranks."),
            ConfigField("output.file", .string(), default: .string("sweep.h5"), "HDF5 file of every statistic per dataset, M and repeat."),
            ConfigField("output.csv", .string(), default: .string("sweep.csv"), "CSV convergence table: mean and standard deviation over repeats per dataset and M."),
        ] + RMTFields.statistics)

    public static func problems(in config: JobConfig, ranks: Int) -> [ConfigProblem] {
        var problems = RMTFields.problems(in: config)
        let names = config.strings("datasets.names"), types = config.strings("datasets.types")
        let files = config.strings("datasets.files"), paths = config.strings("datasets.paths")
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
            let spec = SourceSpec(config, type: type, file: files.isEmpty ? "" : files[i], dataset: paths.isEmpty ? "" : paths[i])
            problems += spec.problems(fileKey: "datasets.files", datasetKey: "datasets.paths")
            if spec.isSpectrum, !config.ints("sweep.sizes").isEmpty, !config.ints("sweep.sizes").contains(where: { $0 <= spec.size }) {
                problems.append(ConfigProblem(path: "sweep.sizes", message: "has no size ≤ `source.size` = \(spec.size) for \(names[i])",
                                              fix: "raise `source.size` or add smaller sizes"))
            }
        }
        for key in ["output.file", "output.csv"] {
            let f = config.string(key)
            if f.isEmpty || f.contains("/") {
                problems.append(ConfigProblem(path: key, message: "\"\(f)\" is not a plain file name", fix: "use a name such as \"sweep.h5\" / \"sweep.csv\""))
            }
        }
        return problems
    }
}
