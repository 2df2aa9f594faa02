extension SelftestJob {
    public static let schema = JobSchema(
        kind: "selftest",
        summary: "Check that MPI, FFTW-MPI, parallel HDF5 and BLAS/LAPACK work on this machine or cluster.",
        fields: [
            ConfigField("collectives.elements", .int(1 ... 1 << 28), default: .int(1 << 20),
                        "Doubles in the allreduce/broadcast buffers; also the size of the bandwidth figure reported."),
            ConfigField("fft.shape_2d", .intArray(count: 2 ... 2, element: 2 ... 1 << 16), default: .array([.int(256), .int(256)]),
                        "Grid of the 2D real FFT round trip, [n0, n1] (n0 is split over the ranks)."),
            ConfigField("fft.shape_3d", .intArray(count: 3 ... 3, element: 2 ... 1 << 12), default: .array([.int(32), .int(32), .int(32)]),
                        "Grid of the 3D real FFT round trip, [n0, n1, n2]."),
            ConfigField("fft.effort", .string(choices: ["estimate", "measure", "patient"]), default: .string("estimate"),
                        "FFTW planning effort: estimate plans at once, measure/patient time candidate plans first."),
            ConfigField("fft.tolerance", .double(above: 0, atMost: 1e-3), default: .double(1e-11),
                        "Largest accepted relative error of the forward/backward round trip and of exact modes."),
            ConfigField("storage.file", .string(), default: .string("selftest.h5"),
                        "Name of the HDF5 file written into the output directory (with an .xmf sidecar)."),
            ConfigField("storage.shape", .intArray(count: 2 ... 2, element: 1 ... 1 << 16), default: .array([.int(384), .int(256)]),
                        "[rows, columns] of the distributed 2D dataset; rows are split over the ranks."),
            ConfigField("storage.frames", .int(1 ... 10000), default: .int(4),
                        "Frames appended to the extendible dataset `frames` (as snapshots are appended over time)."),
            ConfigField("blas.n", .int(2 ... 4096), default: .int(256),
                        "Order of the matrices of the gemm, syrk and symmetric eigensolver checks."),
            ConfigField("rng.seed", .int(0 ... Int.max), default: .int(2026),
                        "Seed of the counter-based generator used for test data (same data on any rank count)."),
        ])

    public static func problems(in config: JobConfig, ranks: Int) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        let file = config.string("storage.file")
        if file.isEmpty || file.contains("/") || !(file.hasSuffix(".h5") || file.hasSuffix(".hdf5")) {
            problems.append(ConfigProblem(path: "storage.file", message: "\"\(file)\" is not a plain .h5 file name",
                                          fix: "use a name such as \"selftest.h5\" (it is written into --out)"))
        }
        return problems
    }
}
