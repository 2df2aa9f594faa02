import Diffusion
import JobKit

/// Which weights of a training file the sampler uses (`model.weights`).
public enum SampleWeights: String, ParameterChoice {
    /// `/model_ema`: the exponential moving average of the weights (what diffusion models sample with).
    case ema
    /// `/model`: the weights of the last optimiser step.
    case raw
}

/// The sampler (`sampling.method`).
public enum SampleMethodKind: String, ParameterChoice {
    /// DDIM over `sampling.steps` evenly spaced time steps, stochasticity `sampling.eta`.
    case ddim
    /// Ancestral DDPM over all T time steps, noise variance `sampling.ddpm_variance`.
    case ddpm
}

/// The variance of DDPM's added noise (`sampling.ddpm_variance`).
public enum SampleDDPMVariance: String, ParameterChoice {
    /// σ_t² = β_t.
    case beta
    /// σ_t² = β̃_t, the posterior variance.
    case posterior

    /// The sampler's variance.
    var ancestral: AncestralVariance { self == .beta ? .beta : .posterior }
}

/// The keys of a `diffusion-sample` job.
public struct SampleParameters: ParameterSet {
    @Required("model.file",
              doc: "training.h5 of a `train` run of a diffusion model (data.kind = snapshots or gaussian-random-field, one unet layer): its /diffusion attributes rebuild the U-Net and the schedule; a relative path is relative to the working directory.")
    var modelFile: String
    @Parameter("model.weights", doc: "ema: the moving average of the weights (/model_ema; refused when the training kept none, diffusion.ema_decay = 0); raw: the last step's weights (/model).")
    var weights = SampleWeights.ema
    @Required("sampling.samples", .range(1 ... 1 << 32),
              doc: "Fields to generate (global sample indices sampling.first … sampling.first + samples − 1, split over the ranks in contiguous shares).")
    var samples: Int
    @Parameter("sampling.first", .range(0 ... (1 << 32) - 1),
               doc: "Global index of the first sample: the noise of sample k is keyed by (sampling.seed, k, step), so a later job with first = the earlier samples extends a set without repeating a field.")
    var first = 0
    @Parameter("sampling.method", doc: "ddim (deterministic for eta = 0, over sampling.steps time steps) or ddpm (ancestral, over all T time steps of the training).")
    var method = SampleMethodKind.ddim
    @Parameter("sampling.steps", .range(1 ... 100_000),
               doc: "ddim: time steps visited, evenly spaced over 0 … T − 1 (at most the training's diffusion.timesteps T).")
    var steps = SampleParameters.defaultSteps
    @Parameter("sampling.eta", .range(0 ... 1), doc: "ddim: stochasticity η (0: deterministic; 1 over all steps: ancestral with the posterior variance).")
    var eta = 0.0
    @Parameter("sampling.ddpm_variance", doc: "ddpm: variance of the added noise, beta (σ² = β_t) or posterior (σ² = β̃_t).")
    var ddpmVariance = SampleDDPMVariance.beta
    @Parameter("sampling.batch", .range(1 ... 4096), doc: "Fields per forward pass of the network on a rank (the memory per rank grows with it; the samples do not depend on it).")
    var batch = 8
    @Parameter("sampling.seed", .atLeast(0), doc: "Seed of the starting noise x_T and of every added noise (keyed by seed, global sample index and time step: the same samples on any rank count and batch).")
    var seed = 0
    @Parameter("output.box_length", .above(0, atMost: 1e12), doc: "Side L of the periodic box the fields are put in (the root attribute box_length of samples.h5, as ns2d's grid.box_length).")
    var boxLength = 2 * Double.pi
    @Parameter("output.file", .fileName(extensions: [".h5", ".hdf5"]), doc: "The samples, in the layout of ns2d's snapshots.h5 (dataset /vorticity, frames × N × N); an XDMF sidecar of the same name with .xmf goes next to it.")
    var outputFile = "samples.h5"

    public init() {}

    /// DDIM's default number of time steps.
    static let defaultSteps = 50

    /// The XDMF sidecar's name.
    var xdmfFile: String { (outputFile.hasSuffix(".hdf5") ? String(outputFile.dropLast(5)) : String(outputFile.dropLast(3))) + ".xmf" }
}


extension SampleJob {
    /// The `kind` value.
    public static let name = "diffusion-sample"
    /// One line for `cascade describe`.
    public static let summary = "Fields drawn from a trained diffusion model (DDIM or DDPM over its U-Net, EMA or raw weights), written in ns2d's snapshots layout; noise keyed by global sample index, so the set does not depend on the rank count."

    /// samples.h5 and its XDMF sidecar.
    public static func outputNames(_ p: SampleParameters) -> [String] { [p.outputFile, p.xdmfFile] }

    /// Checks of the keys together; the model file is read (and refused) when the job starts, since a
    /// pipeline's earlier stage may still have to write it.
    public static func problems(in p: SampleParameters, ranks: Int) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        if p.modelFile.isEmpty {
            problems.append(ConfigProblem(path: p.$modelFile.path, message: "is empty", fix: "give the training.h5 of a diffusion `train` run"))
        }
        if p.first + p.samples > 1 << 32 {
            problems.append(ConfigProblem(path: p.$samples.path, message: "sampling.first + sampling.samples = \(p.first + p.samples) exceeds the 2^32 sample keys",
                                          fix: "generate at most \((1 << 32) - p.first) samples from sampling.first = \(p.first)"))
        }
        if p.method == .ddpm && p.eta != 0 {
            problems.append(ConfigProblem(path: p.$eta.path, message: "is set to \(p.eta) but only ddim reads it",
                                          fix: "remove it, or use sampling.method = \"ddim\" (for ddpm choose sampling.ddpm_variance)"))
        }
        return problems
    }

    /// `sampling.steps` given to DDPM, which does not read it.
    public static func warnings(in p: SampleParameters) -> [String] {
        p.method == .ddpm && p.steps != SampleParameters.defaultSteps ? ["sampling.steps = \(p.steps) is ignored by ddpm, which visits all T time steps of the training"] : []
    }
}
