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
        sel.sampleAxis = o.sampleAxis
        sel.blockRows = o.blockRows
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

    /// This rank's samples: an hdf5 source as a stream of blocks (nothing read yet), or read into memory
    /// when the job needs them there (a Gram matrix in the distributed layout, which the `layout` resolves to
    /// here exactly as the job will, or `resamples`: bootstrap and null models); synthetic samples generated.
    /// Collective.
    /// An hdf5 source's size is known only here: once the dataset's shape is resolved, one block (or the
    /// samples) and the `matrix` (and its eigenvectors when `vectors`) are estimated against the node's
    /// memory before anything is read. A stream's data errors (NaN) surface as ``DatasetError`` when it is
    /// read: map them with ``naming(_:)``.
    func load(communicator comm: Communicator, matrix: MatrixType, vectors: Bool = false,
              layout: MatrixLayout = .replicated, writeMatrix: Bool = false, blockSize: Int = 64,
              needsWholeMatrix: Bool = false, resamples: Bool = false) throws -> SampleData {
        switch type {
        case "hdf5":
            return try naming {
                let resolved = try DatasetReader.resolve(selection, communicator: comm)
                let order = matrix == .gram ? resolved.samples : resolved.features
                let (chosen, _) = try layout.resolved(order: order, vectors: vectors, writeMatrix: writeMatrix, blockSize: blockSize,
                                                      needsWholeMatrix: needsWholeMatrix, communicator: comm)
                // The distributed Gram's all-to-all and resampling need every sample in memory; the rest streams.
                let inMemory = (chosen == .distributed && matrix == .gram) || resamples
                try checkMemory(resolved, matrix: matrix, vectors: vectors, layout: layout, resolvedLayout: chosen, writeMatrix: writeMatrix,
                                blockSize: blockSize, samplesInMemory: inMemory, communicator: comm)
                if inMemory { return .memory(try DatasetReader.read(selection, resolved, communicator: comm)) }
                return .stream(SampleBlockStream.thisRank(selection, resolved, communicator: comm))
            }
        case "gaussian":
            return .memory(SyntheticData.gaussian(samples: comm.blockRange(of: samples), total: samples, features: features, seed: seed))
        case "powerlaw":
            return .memory(try SyntheticData.powerLaw(samples: comm.blockRange(of: samples), total: samples, features: features,
                                                      exponent: exponent, seed: seed))
        default:
            preconditionFailure("\(type) is a spectrum source")
        }
    }

    /// Runs `body`, turning a ``DatasetError`` into a ``CovarianceError`` naming this job's key.
    func naming<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DatasetError { throw CovarianceError(e.message(naming: key(for: e.field))) }
    }

    /// Refuses (on every rank alike) a resolved hdf5 selection whose blocks (or samples) and matrix do not fit
    /// the memory of a rank, naming the keys that size them.
    func checkMemory(_ resolved: ResolvedSelection, matrix: MatrixType, vectors: Bool, layout: MatrixLayout, resolvedLayout: MatrixLayout,
                     writeMatrix: Bool, blockSize: Int, samplesInMemory: Bool, communicator comm: Communicator) throws {
        let m = SourceSpec.memoryEstimate(resolved, matrix: matrix, vectors: vectors, layout: layout, resolvedLayout: resolvedLayout,
                                          writeMatrix: writeMatrix, blockSize: blockSize, samplesInMemory: samplesInMemory,
                                          ranks: comm.size, dataset: selection.dataset)
        let name = MPIEnvironment.shared.processorName
        let perNode = try comm.allreduce(try comm.allgather(name).filter { $0 == name }.count, .max)
        if let problem = m.problems(available: MemoryEstimate.available(ranksPerNode: perNode), ranksPerNode: perNode).first {
            let source = datasetIndex.map { "datasets.files[\($0)]" } ?? "source.file"
            throw CovarianceError("`\(source)` (\(selection.file), dataset \(selection.dataset)): \(problem.message) (fix: \(problem.fix))")
        }
    }

    /// Memory per rank of a resolved selection and its `matrix`: the samples when they are held in memory,
    /// else one streamed block (a fold for the distributed layout); the matrix memory of the `layout` asked
    /// for (``MatrixLayout/planBytes``, which for `auto` takes the smaller layout, as the plan did before
    /// streaming); and for the replicated `resolvedLayout` what every rank accumulates — the d × d comoment
    /// and its packed triangle, or for the Gram this rank's rows × n of G and the left block of its product
    /// (at most as large).
    static func memoryEstimate(_ resolved: ResolvedSelection, matrix: MatrixType, vectors: Bool, layout: MatrixLayout,
                               resolvedLayout: MatrixLayout, writeMatrix: Bool, blockSize: Int, samplesInMemory: Bool,
                               ranks: Int, dataset: String) -> MemoryEstimate {
        let n = Double(resolved.samples), d = resolved.fieldShape.reduce(1.0) { $0 * Double($1) }
        var m = MemoryEstimate()
        if samplesInMemory {
            m.add("samples (\(resolved.samples) × \(Int(min(d, 1e18))) of \(dataset))", elements: n * d / Double(max(ranks, 1)),
                  keys: ["source.samples", "source.crop", "source.coarse"])
        } else if resolvedLayout == .distributed {
            // The distributed comoment folds blocks of ShardedCovariance.defaultFoldBytes, and centres a copy of each.
            let foldRows = min(n / Double(max(ranks, 1)), Double(ShardedCovariance.defaultFoldBytes) / (8 * max(d, 1))).rounded(.up)
            m.add("a fold of \(Int(foldRows)) samples of \(dataset) and its centred copy", elements: 2 * foldRows * d + Double(resolved.blockBytes) / 8,
                  keys: ["source.samples", "source.crop"])
        } else {
            m.add("a block of \(resolved.blockRows) samples × \(resolved.rawFeatures) values of \(dataset)",
                  elements: Double(resolved.blockBytes), bytesPerElement: 1, keys: ["source.block_rows", "source.crop"])
        }
        let order = matrix == .gram ? n : d
        let bytes = layout.planBytes(order: order, vectors: vectors, writeMatrix: writeMatrix, ranks: ranks, blockSize: blockSize)
        let accumulated = resolvedLayout == .distributed ? 0 : matrix == .gram ? 2 * (n / Double(max(ranks, 1))).rounded(.up) * n : 1.5 * d * d
        m.add("\(matrix.rawValue) matrix (\(Int(min(order, 1e18))) × \(Int(min(order, 1e18))), \(layout.rawValue) layout)",
              elements: bytes / 8 + accumulated,
              keys: matrix == .gram ? ["source.samples", "source.stride", "matrix.type", "matrix.layout"]
                                    : ["source.crop", "source.coarse", "matrix.type", "matrix.layout"])
        return m
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
    @Parameter("source.sample_axis", .range(0 ... 1),
               doc: "hdf5: the axis that numbers the samples: 0 = (samples, field…); 1 = a 2-D dataset stored (features, samples), each column a sample.")
    public var sampleAxis = 0
    @Parameter("source.block_rows", .range(0 ... 1 << 30),
               doc: "hdf5: samples read (and held) per block while streaming the dataset; 0 = automatic, about 16 MiB of float64 values per block (≥ 1 sample). Memory per rank is about one block plus the matrix part (gram: the left block of its product grows up to the size of the rank’s rows of G).")
    public var blockRows = 0
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
