import Covariance
import Datasets
import Foundation
import JobKit
import Parallel
import SpectraReference

/// Where a job's spectrum comes from: a dataset (HDF5 or synthetic samples, whose covariance or
/// Gram matrix is diagonalised) or a reference spectrum drawn directly (GOE, GUE, Poisson).
struct SourceSpec {
    /// One of ``SourceSpec/types``.
    var type: String
    var selection: DatasetSelection
    /// Synthetic samples, features, power-law exponent, spectrum size and seed.
    var samples: Int
    var features: Int
    var exponent: Double
    var size: Int
    var seed: UInt64
    var standardize: Bool
    /// The sweep's dataset index (its file and dataset path come from `datasets.files`/`datasets.paths`), or
    /// nil for the `covariance` kind (`source.file`/`source.dataset`).
    var datasetIndex: Int?

    static let types = SourceType.allCases.map(\.rawValue)
    static let spectrumTypes: Set<String> = ["goe", "gue", "poisson"]

    /// Whether the source is a reference spectrum rather than samples.
    var isSpectrum: Bool { SourceSpec.spectrumTypes.contains(type) }

    /// Reads the spec from the options, with the type, file and dataset given (the sweep supplies several).
    init(_ o: SourceOptions, type: String, file: String, dataset: String, datasetIndex: Int? = nil) {
        self.type = type
        var sel = DatasetSelection(file: file, dataset: dataset)
        sel.first = o.first
        sel.samples = o.samples
        sel.stride = o.stride
        sel.crop = o.crop
        sel.coarse = o.coarse
        selection = sel
        samples = o.samples
        features = o.features
        exponent = o.exponent
        size = o.size
        seed = UInt64(o.seed)
        standardize = o.standardize
        self.datasetIndex = datasetIndex
    }

    /// The job-file key of a selection field, for error messages.
    func key(for field: DatasetError.Field) -> String {
        switch (field, datasetIndex) {
        case (.file, let i?): return "datasets.files[\(i)]"
        case (.dataset, let i?): return "datasets.paths[\(i)]"
        default: return "source.\(field.rawValue)"
        }
    }

    /// Problems found without MPI or reading data (file or dataset not named, synthetic sample count unset).
    func problems(fileKey: String, datasetKey: String) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        switch type {
        case "hdf5":
            // Whether the file exists is checked when the job runs (before any heavy work), not here:
            // an example may name a file that another job writes first.
            if selection.file.isEmpty {
                problems.append(ConfigProblem(path: fileKey, message: "is required for an hdf5 source", fix: "give the path of the HDF5 file"))
            }
            if selection.dataset.isEmpty {
                problems.append(ConfigProblem(path: datasetKey, message: "is required for an hdf5 source", fix: "name the dataset, e.g. \"vorticity\""))
            }
        case "gaussian", "powerlaw":
            if samples < 2 {
                problems.append(ConfigProblem(path: "source.samples", message: "a \(type) source needs at least 2 samples",
                                              fix: "set `source.samples = …` (the number of samples to generate)"))
            }
        default: break
        }
        return problems
    }

    /// This rank's block of samples. Collective. An hdf5 source's size is known only here: once
    /// the dataset's shape is resolved, the samples and the `matrix` (and its eigenvectors when
    /// `vectors`) are estimated against the node's memory before anything is read.
    func load(communicator comm: Communicator, matrix: MatrixType, vectors: Bool = false,
              layout: MatrixLayout = .replicated, writeMatrix: Bool = false, blockSize: Int = 64) throws -> SampleBlock {
        switch type {
        case "hdf5":
            do {
                let resolved = try DatasetReader.resolve(selection, communicator: comm)
                try checkMemory(resolved, matrix: matrix, vectors: vectors, layout: layout, writeMatrix: writeMatrix,
                                blockSize: blockSize, communicator: comm)
                return try DatasetReader.read(selection, resolved, communicator: comm)
            } catch let e as DatasetError {
                throw CovarianceError(e.message(naming: key(for: e.field)))
            }
        case "gaussian":
            return SyntheticData.gaussian(samples: comm.blockRange(of: samples), total: samples, features: features, seed: seed)
        case "powerlaw":
            return try SyntheticData.powerLaw(samples: comm.blockRange(of: samples), total: samples, features: features,
                                              exponent: exponent, seed: seed)
        default:
            preconditionFailure("\(type) is a spectrum source")
        }
    }

    /// Refuses (on every rank alike) a resolved hdf5 selection whose samples and matrix do not fit
    /// the memory of a rank, naming the keys that size them.
    func checkMemory(_ resolved: ResolvedSelection, matrix: MatrixType, vectors: Bool, layout: MatrixLayout,
                     writeMatrix: Bool, blockSize: Int, communicator comm: Communicator) throws {
        let n = Double(resolved.samples), d = resolved.fieldShape.reduce(1.0) { $0 * Double($1) }
        var m = MemoryEstimate()
        m.add("samples (\(resolved.samples) × \(Int(min(d, 1e18))) of \(selection.dataset))", elements: n * d / Double(comm.size),
              keys: ["source.samples", "source.crop", "source.coarse"])
        let order = matrix == .gram ? n : d
        let bytes = layout.planBytes(order: order, vectors: vectors, writeMatrix: writeMatrix, ranks: comm.size, blockSize: blockSize)
        m.add("\(matrix.rawValue) matrix (\(Int(min(order, 1e18))) × \(Int(min(order, 1e18))), \(layout.rawValue) layout)", elements: bytes / 8,
              keys: matrix == .gram ? ["source.samples", "source.stride", "matrix.type", "matrix.layout"]
                                    : ["source.crop", "source.coarse", "matrix.type", "matrix.layout"])
        let name = MPIEnvironment.shared.processorName
        let perNode = try comm.allreduce(try comm.allgather(name).filter { $0 == name }.count, .max)
        if let problem = m.problems(available: MemoryEstimate.available(ranksPerNode: perNode), ranksPerNode: perNode).first {
            let source = datasetIndex.map { "datasets.files[\($0)]" } ?? "source.file"
            throw CovarianceError("`\(source)` (\(selection.file), dataset \(selection.dataset)): \(problem.message) (fix: \(problem.fix))")
        }
    }

    /// A reference spectrum of `n` levels, draw `stream`.
    func spectrum(size n: Int, stream: UInt64) throws -> [Double] {
        try RandomSpectra.levels(RandomSpectra.Kind(rawValue: type)!, size: n, seed: seed, stream: stream)
    }
}

/// The `source.*` keys other than the type, file and dataset (which `rmt-sweep` gives per dataset).
public struct SourceOptions: ParameterSet {
    @Parameter("source.first", .range(0 ... 1 << 50), doc: "hdf5: first sample used.")
    public var first = 0
    @Parameter("source.samples", .range(0 ... 1 << 40),
               doc: "Samples used: hdf5 0 = all from `first` on; gaussian/powerlaw: how many to generate (required).")
    public var samples = 0
    @Parameter("source.stride", .range(1 ... 1 << 40), doc: "hdf5: step between samples used (e.g. to thin time-correlated snapshots).")
    public var stride = 1
    @Parameter("source.crop", .count(0 ... 16, element: 0 ... 1 << 40),
               doc: "hdf5: [start, stop) per field axis, e.g. [0, 64, 32, 96] for (y, x); empty = whole field.")
    public var crop: [Int] = []
    @Parameter("source.coarse", .count(0 ... 8, element: 1 ... 1 << 20),
               doc: "hdf5: block-averaging factor per field axis after the crop, e.g. [4, 4]; empty = none.")
    public var coarse: [Int] = []
    @Parameter("source.standardize", doc: "Divide each feature by its standard deviation after centring (covariance then equals the correlation matrix).")
    public var standardize = false
    @Parameter("source.features", .range(1 ... 1 << 16), doc: "gaussian/powerlaw: features per sample.")
    public var features = 256
    @Parameter("source.exponent", .above(0, atMost: 0.99),
               doc: "powerlaw: γ in ρ(k) = k^−γ/(−2ζ(γ)); the implied bulk law is λ_i ∝ i^−(1−γ), i.e. α = −γ.")
    public var exponent = 0.5
    @Parameter("source.size", .range(3 ... 1 << 15), doc: "goe/gue/poisson: number of levels N.")
    public var size = 1000
    @Parameter("source.seed", .atLeast(0), doc: "Seed of the counter-based generator (synthetic data, reference spectra, subsets).")
    public var seed = 1

    public init() {}
}

/// Where a `covariance` job's data come from.
public enum SourceType: String, ParameterChoice {
    case hdf5, gaussian, powerlaw, goe, gue, poisson
}
