extension CovarianceJob {
    public static let schema = JobSchema(
        kind: "covariance",
        summary: "Covariance, correlation or Gram matrix of a dataset sharded over ranks, its eigen-spectrum and random-matrix statistics.",
        fields: SourceSpec.fields + [
            ConfigField("matrix.type", .string(choices: MatrixType.allCases.map(\.rawValue)), default: .string("covariance"),
                        "covariance (d × d, ddof 1, as np.cov), correlation (d × d), or gram (n × n, (1/d)·X̃X̃ᵀ of the centred samples)."),
            ConfigField("matrix.write", .bool, default: .bool(false), "Write the matrix itself to the output file as /matrix."),
            ConfigField("matrix.solver", .string(choices: ["divide-and-conquer", "mrrr"]), default: .string("divide-and-conquer"),
                        "LAPACK symmetric eigensolver: dsyevd (divide and conquer) or dsyevr (MRRR)."),
            ConfigField("matrix.vectors", .bool, default: .bool(false), "Also compute the eigenvectors and write them as /eigenvectors (columns)."),
            ConfigField("output.file", .string(), default: .string("rmt.h5"), "HDF5 file written into the output directory."),
        ] + RMTFields.statistics)

    public static func problems(in config: JobConfig, ranks: Int) -> [ConfigProblem] {
        let spec = SourceSpec(config, type: config.string("source.type"), file: config.string("source.file"),
                              dataset: config.string("source.dataset"))
        var problems = spec.problems(fileKey: "source.file", datasetKey: "source.dataset") + RMTFields.problems(in: config)
        let file = config.string("output.file")
        if file.isEmpty || file.contains("/") || !(file.hasSuffix(".h5") || file.hasSuffix(".hdf5")) {
            problems.append(ConfigProblem(path: "output.file", message: "\"\(file)\" is not a plain .h5 file name",
                                          fix: "use a name such as \"rmt.h5\" (it is written into --out)"))
        }
        if spec.type == "gaussian" || spec.type == "powerlaw" {
            let d = config.int("source.features"), n = config.int("source.samples")
            let bytes = Double(n) * Double(d) * 8 / Double(max(ranks, 1))
            if bytes > 8e9 {
                problems.append(ConfigProblem(path: "source.samples", message: "\(n) × \(d) samples need \(Int(bytes / 1e9)) GB per rank",
                                              fix: "use fewer samples or features, or more ranks"))
            }
        }
        return problems
    }
}
