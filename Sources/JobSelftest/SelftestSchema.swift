import DistributedFFT
import JobKit

/// The keys of a `selftest` job.
public struct SelftestParameters: ParameterSet {
    @Parameter("collectives.elements", .range(1 ... 1 << 28),
               doc: "Doubles in the allreduce/broadcast buffers; also the size of the bandwidth figure reported.")
    var collectiveElements = 1 << 20
    @Parameter("fft.shape_2d", .count(2 ... 2, element: 2 ... 1 << 16),
               doc: "Grid of the 2D real FFT round trip, [n0, n1] (n0 is split over the ranks).")
    var shape2D = [256, 256]
    @Parameter("fft.shape_3d", .count(3 ... 3, element: 2 ... 1 << 12),
               doc: "Grid of the 3D real FFT round trip, [n0, n1, n2].")
    var shape3D = [32, 32, 32]
    @Parameter("fft.effort", .choices(PlanningEffort.allCases.map(\.rawValue)),
               doc: "FFTW planning effort: estimate plans at once, measure/patient time candidate plans first.")
    var effortName = "estimate"
    var effort: PlanningEffort { PlanningEffort(rawValue: effortName)! }
    @Parameter("fft.tolerance", .above(0, atMost: 1e-3),
               doc: "Largest accepted relative error of the forward/backward round trip and of exact modes.")
    var tolerance = 1e-11
    @Parameter("storage.file", .fileName(extensions: [".h5", ".hdf5"]),
               doc: "Name of the HDF5 file written into the output directory (with an .xmf sidecar).")
    var storageFile = "selftest.h5"
    @Parameter("storage.shape", .count(2 ... 2, element: 1 ... 1 << 16),
               doc: "[rows, columns] of the distributed 2D dataset; rows are split over the ranks.")
    var storageShape = [384, 256]
    @Parameter("storage.frames", .range(1 ... 10000),
               doc: "Frames appended to the extendible dataset `frames` (as snapshots are appended over time).")
    var frames = 4
    @Parameter("blas.n", .range(2 ... 4096), doc: "Order of the matrices of the gemm, syrk and symmetric eigensolver checks.")
    var blasN = 256
    @Parameter("rng.seed", .atLeast(0), doc: "Seed of the counter-based generator used for test data (same data on any rank count).")
    var seed = 2026

    public init() {}
}

extension SelftestJob {
    public static let name = "selftest"
    public static let summary = "Check that MPI, FFTW-MPI, parallel HDF5 and BLAS/LAPACK work on this machine or cluster."

    public static func outputNames(_ p: SelftestParameters) -> [String] {
        [p.storageFile, xdmfName(p.storageFile)]
    }

    static func xdmfName(_ file: String) -> String {
        let stem = file.hasSuffix(".hdf5") ? String(file.dropLast(5)) : String(file.dropLast(3))
        return stem + ".xmf"
    }

    public static func memoryEstimate(_ p: SelftestParameters, ranks: Int) -> MemoryEstimate {
        var m = MemoryEstimate()
        m.add("collective buffers", elements: 2 * Double(p.collectiveElements), keys: ["collectives.elements"])
        let n2 = Double(p.shape2D[0]) * Double(p.shape2D[1] / 2 + 1) * 2 / Double(ranks)
        let n3 = Double(p.shape3D[0]) * Double(p.shape3D[1]) * Double(p.shape3D[2] / 2 + 1) * 2 / Double(ranks)
        m.add("FFT arrays", elements: 4 * max(n2, n3), keys: [n2 > n3 ? "fft.shape_2d" : "fft.shape_3d"])
        m.add("storage slabs", elements: 2 * Double(p.storageShape[0]) * Double(p.storageShape[1]) / Double(ranks), keys: ["storage.shape"])
        m.add("matrices", elements: 6 * Double(p.blasN) * Double(p.blasN), keys: ["blas.n"])
        return m
    }
}
