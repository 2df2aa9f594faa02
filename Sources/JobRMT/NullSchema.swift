import Covariance
import JobKit

/// The null models of a `covariance` job, as job-file names.
enum NullModelName: String, CaseIterable {
    case wishart, phase, shuffle
}

/// The `null.*` keys of a `covariance` job: surrogate datasets analysed like the data, for error bars.
public struct NullParameters: ParameterSet {
    @Parameter("null.models", .count(0 ... 3),
               doc: "Null models analysed beside the data, any of \"wishart\" (Gaussian samples with the population covariance `null.population`, same n and d), \"phase\" (each sample's Fourier phases randomised: fields on a periodic grid only) and \"shuffle\" (each feature permuted over samples); empty = none. Results under /null/<model>.")
    var models: [String] = []
    @Parameter("null.repeats", .range(2 ... 10000), doc: "Independent surrogates per null model; their mean and standard deviation are the null's value and error bar.")
    var repeats = 8
    @Parameter("null.seed", .atLeast(0), doc: "Seed of the null models' counter-based streams (keyed by repeat, global sample and feature or mode: the same on any rank count).")
    var seed = 1
    @Parameter("null.population", .choices(["sample", "identity"]),
               doc: "wishart: population covariance of the Gaussian samples: the data's sample covariance (a plug-in: sampling broadens its spectrum a second time, so compare local statistics such as ⟨r⟩, Σ², Δ₃ with it, not entropy or α), or the identity times the mean variance (the white null of the same total variance).")
    var population = "sample"

    public init() {}

    var nullModels: [NullModelName] { models.compactMap(NullModelName.init(rawValue:)) }

    func problems() -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        for m in models where NullModelName(rawValue: m) == nil {
            problems.append(ConfigProblem($models, "\"\(m)\" is not a null model", fix: "use any of \"wishart\", \"phase\", \"shuffle\""))
        }
        if Set(models).count != models.count {
            problems.append(ConfigProblem($models, "names a model twice: \(models)", fix: "list each model once"))
        }
        return problems
    }
}

/// The error-bar and symmetry keys of a `covariance` job (in the `statistics` section).
public struct ErrorBarParameters: ParameterSet {
    @Parameter("statistics.bootstrap", .range(0 ... 10000),
               doc: "Bootstrap resamples of the samples (0 = off): each scalar statistic's standard error, written as `<column>_stderr` on /statistics and used by the null comparison.")
    var bootstrap = 0
    @Parameter("statistics.bootstrap_seed", .atLeast(0), doc: "Seed of the bootstrap draws (keyed by resample and draw: the same on any rank count).")
    var bootstrapSeed = 1
    @Parameter("statistics.error_length", .atLeast(0),
               doc: "L (mean spacings) at which Σ²(L) and Δ₃(L) are compared with the null models and summarised with their errors: the nearest L of the `lengths` grid; 0 = L_max (standard errors are written at every L).")
    var errorLength = 0.0
    @Parameter("statistics.sectors",
               doc: "Square periodic fields (2-D, N × N): also analyse the spectrum of each irreducible representation of the square's point group D4 (A1, A2, B1, B2, E) under /sectors/<irrep>; covariance or correlation matrices only.")
    var sectors = false

    public init() {}
}
