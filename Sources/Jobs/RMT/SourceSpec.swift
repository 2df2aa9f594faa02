import Covariance
import Datasets
import Foundation
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

    static let types = ["hdf5", "gaussian", "powerlaw", "goe", "gue", "poisson"]
    static let spectrumTypes: Set<String> = ["goe", "gue", "poisson"]

    /// Whether the source is a reference spectrum rather than samples.
    var isSpectrum: Bool { SourceSpec.spectrumTypes.contains(type) }

    /// The `source.*` keys.
    static let fields: [ConfigField] = [
        ConfigField("source.type", .string(choices: types), default: nil,
                    "hdf5: a dataset of samples; gaussian: uncorrelated normal features; powerlaw: Gaussian features with Toeplitz correlation ρ(k) ∝ k^−exponent; goe, gue, poisson: a reference spectrum of `size` levels."),
        ConfigField("source.file", .string(), default: .string(""), "hdf5: the HDF5 file (relative to the directory cascade runs in)."),
        ConfigField("source.dataset", .string(), default: .string(""), "hdf5: the dataset inside the file; samples along its first axis, any trailing shape flattened to features."),
        ConfigField("source.first", .int(0 ... Int.max), default: .int(0), "hdf5: first sample used."),
        ConfigField("source.samples", .int(0 ... Int.max), default: .int(0), "Samples used: hdf5 0 = all from `first` on; gaussian/powerlaw: how many to generate (required)."),
        ConfigField("source.stride", .int(1 ... Int.max), default: .int(1), "hdf5: step between samples used (e.g. to thin time-correlated snapshots)."),
        ConfigField("source.crop", .intArray(count: 0 ... 16, element: 0 ... Int.max), default: .array([]), "hdf5: [start, stop) per field axis, e.g. [0, 64, 32, 96] for (y, x); empty = whole field."),
        ConfigField("source.coarse", .intArray(count: 0 ... 8, element: 1 ... Int.max), default: .array([]), "hdf5: block-averaging factor per field axis after the crop, e.g. [4, 4]; empty = none."),
        ConfigField("source.standardize", .bool, default: .bool(false), "Divide each feature by its standard deviation after centring (covariance then equals the correlation matrix)."),
        ConfigField("source.features", .int(1 ... 1 << 16), default: .int(256), "gaussian/powerlaw: features per sample."),
        ConfigField("source.exponent", .double(above: 0, atMost: 0.99), default: .double(0.5), "powerlaw: γ in ρ(k) = k^−γ/(−2ζ(γ)); the implied bulk law is λ_i ∝ i^−(1−γ), i.e. α = −γ."),
        ConfigField("source.size", .int(3 ... 1 << 15), default: .int(1000), "goe/gue/poisson: number of levels N."),
        ConfigField("source.seed", .int(0 ... Int.max), default: .int(1), "Seed of the counter-based generator (synthetic data, reference spectra, subsets)."),
    ]

    /// Reads the spec from `config`, with the type, file and dataset given (the sweep supplies several).
    init(_ config: JobConfig, type: String, file: String, dataset: String, datasetIndex: Int? = nil) {
        self.type = type
        var sel = DatasetSelection(file: file, dataset: dataset)
        sel.first = config.int("source.first")
        sel.samples = config.int("source.samples")
        sel.stride = config.int("source.stride")
        sel.crop = config.ints("source.crop")
        sel.coarse = config.ints("source.coarse")
        selection = sel
        samples = config.int("source.samples")
        features = config.int("source.features")
        exponent = config.double("source.exponent")
        size = config.int("source.size")
        seed = UInt64(config.int("source.seed"))
        standardize = config.bool("source.standardize")
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

    /// This rank's block of samples. Collective.
    func load(communicator comm: Communicator) throws -> SampleBlock {
        switch type {
        case "hdf5":
            do {
                let resolved = try DatasetReader.resolve(selection, communicator: comm)
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

    /// A reference spectrum of `n` levels, draw `stream`.
    func spectrum(size n: Int, stream: UInt64) throws -> [Double] {
        try RandomSpectra.levels(RandomSpectra.Kind(rawValue: type)!, size: n, seed: seed, stream: stream)
    }
}
