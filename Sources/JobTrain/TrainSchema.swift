import JobKit

/// Where a `train` job's samples come from (`data.kind`).
public enum DataKind: String, ParameterChoice {
    /// Regression on the outputs of a random teacher network (`data.teacher_*`).
    case teacherStudent = "teacher-student"
    /// Two overlapping Gaussian classes with power-law covariances; the Bayes-optimal classifier is
    /// known in closed form and reported next to the network's.
    case gaussianMixture = "gaussian-mixture"
    /// Inputs and labels (or targets) read from datasets of an HDF5 file.
    case hdf5
    /// Diffusion training on ns2d snapshot fields (`data.file`, frames × N × N): noised pairs (x_t ‖ t, ε).
    case snapshots
    /// Diffusion training on Gaussian random fields with the power-law spectrum `data.spectral_slope`.
    case gaussianRandomField = "gaussian-random-field"

    /// Whether the samples are periodic fields a diffusion model is trained on.
    public var isDiffusion: Bool { self == .snapshots || self == .gaussianRandomField }
}

/// The noise schedule of a diffusion model (`diffusion.schedule`).
public enum DiffusionScheduleKind: String, ParameterChoice {
    /// β linear from `diffusion.beta_start` to `diffusion.beta_end` (Ho et al. 2020).
    case linear
    /// ᾱ(t) = cos²(((t/T + s)/(1 + s))·π/2) normalised, s = 0.008, β ≤ 0.999 (Nichol & Dhariwal 2021).
    case cosine
}

/// What the network predicts (`diffusion.prediction`).
public enum DiffusionPredictionKind: String, ParameterChoice {
    /// ε: the noise (Ho et al. 2020).
    case noise
    /// v = √ᾱ ε − √(1 − ᾱ) x₀ (Salimans & Ho 2022).
    case velocity
}

/// The `diffusion.*` keys of a `train` job on field data (data.kind = snapshots or gaussian-random-field).
public struct DiffusionKeys: ParameterSet {
    @Parameter("diffusion.schedule", doc: "Noise schedule: cosine (Nichol & Dhariwal 2021: ᾱ(t) = cos²(((t/T + 0.008)/1.008)·π/2) normalised, β ≤ 0.999) or linear (β from diffusion.beta_start to diffusion.beta_end, Ho et al. 2020).")
    public var schedule = DiffusionScheduleKind.cosine
    @Parameter("diffusion.timesteps", .range(1 ... 100_000), doc: "Diffusion steps T (time steps t = 0 … T − 1; a sample's t is uniform over them at every training step).")
    public var timesteps = 1000
    @Parameter("diffusion.beta_start", .above(0, atMost: 0.5), doc: "linear schedule: β of the first step.")
    public var betaStart = 1e-4
    @Parameter("diffusion.beta_end", .above(0, atMost: 0.999), doc: "linear schedule: β of the last step (≥ diffusion.beta_start).")
    public var betaEnd = 0.02
    @Parameter("diffusion.prediction", doc: "What the network predicts from (x_t, t): noise (ε) or velocity (v = √ᾱ ε − √(1 − ᾱ) x₀). velocity by default: with the cosine schedule an ε-model's errors are multiplied by 1/√ᾱ ≈ 2·10⁴ in the first sampling step (docs/diffusion.md); noise suits the linear schedule.")
    public var prediction = DiffusionPredictionKind.velocity
    @Parameter("diffusion.ema_decay", .range(0 ... 0.999999), doc: "Decay d of the exponential moving average of the weights, θ̄ ← d θ̄ + (1 − d) θ after every step, with warm-up min(d, (1 + n)/(10 + n)); kept in the checkpoint and written as /model_ema (what diffusion-sample uses); 0: no average.")
    public var emaDecay = 0.999
    @Parameter("diffusion.translations", doc: "Augment every training pair by a random periodic translation of the field (keyed by diffusion.seed, sample and step).")
    public var translations = true
    @Parameter("diffusion.rotations", doc: "Augment every training pair by a random rotation or reflection of the square (the 8 elements of D4; the vorticity, a pseudo-scalar, changes sign under reflections).")
    public var rotations = true
    @Parameter("diffusion.seed", .atLeast(0), doc: "Seed of the time steps, noise and augmentation of the training pairs (keyed by seed, global sample index and step: the same on any rank count).")
    public var seed = 1
    public init() {}
}

/// The loss (`loss.kind`); `auto` picks it from the data.
public enum LossKind: String, ParameterChoice {
    /// MSE for real-valued targets, binary cross-entropy on one logit for 2 classes,
    /// softmax cross-entropy for more.
    case auto
    case mse
    case crossEntropy = "cross-entropy"
    case bceLogits = "bce-logits"
}

/// The optimiser (`optimizer.kind`).
public enum OptimizerKind: String, ParameterChoice {
    case sgd, adam, adamw
}

/// The learning-rate schedule (`schedule.kind`).
public enum ScheduleKind: String, ParameterChoice {
    /// `optimizer.lr` at every step.
    case constant
    /// Linear ramp over `schedule.warmup_steps`, then constant.
    case warmup
    /// Linear warm-up, then a half cosine down to `schedule.min_lr` at the last step.
    case cosine
}

/// Eigenvectors of the two class covariances of the Gaussian mixture (`data.eigenvectors`).
public enum MixtureEigenvectors: String, ParameterChoice {
    /// Both classes share one random eigenbasis: with one exponent the covariances are equal, the
    /// Bayes-optimal boundary is a hyperplane and its accuracy has the closed form Φ(Δ/2).
    case shared
    /// Each class has its own random rotation: the Bayes-optimal boundary is quadratic.
    case different
}

/// What `data.separation` measures (`data.separation_measure`).
public enum MixtureSeparationMeasure: String, ParameterChoice {
    /// The Euclidean length |μ| of the mean difference μ = m₁ − m₀.
    case euclidean
    /// The Mahalanobis distance Δ = (μᵀ Σ₀⁻¹ μ)^{1/2} under class 0's covariance (the Δ of Φ(Δ/2)).
    case mahalanobis
}

/// The direction of the mean difference of the Gaussian mixture (`data.mean_direction`).
public enum MixtureMeanDirection: String, ParameterChoice {
    /// A uniformly random unit vector keyed by `data.seed`.
    case random
    /// Eigenvector `data.mean_index` (1 … d, 1 = the largest eigenvalue) of class 0's covariance.
    case eigenvector
    /// Coordinate axis `data.mean_index` (0 … d − 1).
    case axis
}

/// The `data.*` keys of a teacher–student regression task, shared by `train` and `wide-sweep`.
public struct TeacherStudentKeys: ParameterSet {
    @Parameter("data.samples", .range(1 ... 1 << 34), doc: "Training samples of a synthetic task (teacher-student, gaussian-mixture, gaussian-random-field); drawn from counter-based random streams keyed by the sample index, so the same on any rank count.")
    public var samples = 4096
    @Parameter("data.test_samples", .range(0 ... 1 << 34), doc: "Held-out samples for evaluation (synthetic tasks: drawn from their own stream; hdf5 and snapshots: the last samples (frames) of the selection, or the first of data.test_file); 0: no evaluation.")
    public var testSamples = 1024
    @Parameter("data.seed", .atLeast(0), doc: "Seed of the synthetic data (teacher network, class covariances, samples), independent of train.seed.")
    public var seed = 1
    @Parameter("data.dimension", .range(1 ... 1 << 20), doc: "Input dimension d of a synthetic task.")
    public var dimension = 32
    @Parameter("data.teacher_width", .range(1 ... 1 << 16), doc: "teacher-student: hidden units per layer of the teacher network.")
    public var teacherWidth = 64
    @Parameter("data.teacher_depth", .range(0 ... 16), doc: "teacher-student: hidden layers of the teacher, each dense + tanh with N(0, 1) weights scaled by 1/sqrt(fan-in) (NTK) and no bias; 0: a linear teacher.")
    public var teacherDepth = 1
    @Parameter("data.teacher_outputs", .range(1 ... 1 << 12), doc: "teacher-student: outputs of the teacher (the regression target width).")
    public var teacherOutputs = 1
    @Parameter("data.noise", .range(0 ... 1e3), doc: "teacher-student: standard deviation of Gaussian noise added to the teacher's outputs.")
    public var noise = 0.0
    public init() {}
}

/// The keys of a `train` job, by section (every key in docs/reference.md, the format in docs/training.md).
public struct TrainParameters: ParameterSet {
    public struct Data: ParameterSet {
        @Parameter("data.kind", doc: "Where the samples come from: teacher-student (regression on a random teacher network), gaussian-mixture (two Gaussian classes, Bayes-optimal classifier reported), hdf5 (datasets of a file), or, for a diffusion model (a unet, docs/diffusion.md), snapshots (ns2d snapshot fields) or gaussian-random-field (fields with a known power-law spectrum).")
        public var kind = DataKind.teacherStudent
        public var synthetic = TeacherStudentKeys()
        @Parameter("data.alpha", .range(0 ... 20), doc: "gaussian-mixture: exponent α of both class covariances' eigenvalues λ_k = d·k^−α / Σ_j j^−α (k = 1…d, largest first), so each class has trace d (mean variance 1 per coordinate); 0: isotropic.")
        public var alpha = 1.0
        @Parameter("data.eigenvectors", doc: "gaussian-mixture: shared (both classes in one random eigenbasis: equal covariances, a linear Bayes-optimal boundary and the closed form Φ(Δ/2)) or different (each class its own random rotation: a quadratic boundary, no closed form).")
        public var eigenvectors = MixtureEigenvectors.shared
        @Parameter("data.separation", .range(0 ... 1e3), doc: "gaussian-mixture: size of the mean difference μ = m₁ − m₀ (the means are ∓μ/2), in the units of data.separation_measure.")
        public var separation = 2.0
        @Parameter("data.separation_measure", doc: "gaussian-mixture: what data.separation measures: euclidean (|μ|) or mahalanobis (Δ = (μᵀΣ₀⁻¹μ)^{1/2} under class 0's covariance; with shared eigenvectors the Bayes accuracy is then Φ(Δ/2) for equal priors).")
        public var separationMeasure = MixtureSeparationMeasure.euclidean
        @Parameter("data.mean_direction", doc: "gaussian-mixture: direction of μ: random (a random unit vector keyed by data.seed), eigenvector (eigenvector data.mean_index of class 0's covariance, 1 = the largest eigenvalue) or axis (coordinate axis data.mean_index, 0-based).")
        public var meanDirection = MixtureMeanDirection.random
        @Parameter("data.mean_index", .range(0 ... 1 << 20), doc: "gaussian-mixture with data.mean_direction = eigenvector (1…d) or axis (0…d − 1): which eigenvector or axis.")
        public var meanIndex = 1
        @Parameter("data.prior1", .range(1e-6 ... 1 - 1e-6), doc: "gaussian-mixture: prior probability p₁ of class 1 (labels are 1 with probability p₁); the Bayes rule adds log(p₁/p₀) to the log-likelihood ratio.")
        public var prior1 = 0.5
        @Parameter("data.file", doc: "hdf5: the HDF5 file holding the samples.")
        public var file = ""
        @Parameter("data.inputs", doc: "hdf5: dataset of the inputs, samples × features or samples × H × W [× C] (any numeric type; read as float32).")
        public var inputs = "inputs"
        @Parameter("data.labels", doc: "hdf5: dataset of integer class labels (one per sample, in 0…data.classes − 1); give this or data.targets.")
        public var labels = ""
        @Parameter("data.targets", doc: "hdf5: dataset of real-valued targets, samples [× width]; give this or data.labels.")
        public var targets = ""
        @Parameter("data.classes", .range(0 ... 1 << 20), doc: "hdf5 with data.labels: the number of classes (≥ 2).")
        public var classes = 0
        @Parameter("data.test_file", doc: "hdf5, snapshots: take the held-out samples (data.test_samples of them; 0: all) from this file's datasets of the same names (snapshots: with the same frame stride and coarsening) instead of the last samples of data.file.")
        public var testFile = ""
        @Parameter("data.dataset", doc: "snapshots: the dataset of frames × N × N in data.file (ns2d writes vorticity).")
        public var dataset = "vorticity"
        @Parameter("data.first_frame", .range(0 ... 1 << 40), doc: "snapshots: the first frame used (0-based).")
        public var firstFrame = 0
        @Parameter("data.frame_count", .range(0 ... 1 << 40), doc: "snapshots: frames used, from data.first_frame with stride data.frame_stride (0: all there are); the held-out ones (data.test_samples) are the last of them.")
        public var frameCount = 0
        @Parameter("data.frame_stride", .range(1 ... 1 << 30), doc: "snapshots: use every data.frame_stride-th frame (successive ns2d frames are correlated).")
        public var frameStride = 1
        @Parameter("data.coarsen", .range(1 ... 4096), doc: "snapshots: box-filter factor c (c × c block means; N/c points per side; must divide N). The fields are then divided by their RMS over the selected frames, recorded with the model as normalization_scale.")
        public var coarsen = 1
        @Parameter("data.side", .range(4 ... 4096), doc: "gaussian-random-field: points per side N of the fields.")
        public var side = 32
        @Parameter("data.spectral_slope", .range(-20 ... 20), doc: "gaussian-random-field: slope α of the shell spectrum V(k) ∝ k^−α (per-mode power |k|^−(α+1)); the fields have unit variance.")
        public var spectralSlope = 3.0
        @Parameter("data.k_min", .range(1 ... 2048), doc: "gaussian-random-field: smallest wavenumber |k| carrying variance (units 2π/L).")
        public var kMin = 1.0
        @Parameter("data.k_max", .range(0 ... 2048), doc: "gaussian-random-field: largest wavenumber |k| carrying variance (≤ N/2; 0: N/2).")
        public var kMax = 0.0
        public init() {}
    }

    public struct Model: ParameterSet {
        @Parameter("model.input", .count(0 ... 3, element: 1 ... 1 << 20),
                   doc: "Per-sample input shape: [features] or NHWC [height, width, channels]; [] takes it from the data.")
        public var input: [Int] = []
        @Required("model.layers", .count(1 ... 1000),
                  doc: "The layers, in order: [[model.layers]] tables with `type` (dense, relu, tanh, gelu, silu, conv2d, avgpool, upsample, groupnorm, residual, concat, or unet: the whole model of a diffusion run) and that type's keys (docs/training.md).")
        public var layers: ConfigTables
        public init() {}
    }

    public struct Optim: ParameterSet {
        @Parameter("optimizer.kind", doc: "sgd (with optional momentum), adam or adamw (decoupled weight decay).")
        public var kind = OptimizerKind.adam
        @Parameter("optimizer.lr", .above(0, atMost: 1e3), doc: "Peak learning rate.")
        public var lr = 1e-3
        @Parameter("optimizer.momentum", .range(0 ... 0.999999), doc: "sgd: momentum (0: plain SGD).")
        public var momentum = 0.0
        @Parameter("optimizer.nesterov", doc: "sgd: Nesterov momentum (needs optimizer.momentum > 0).")
        public var nesterov = false
        @Parameter("optimizer.beta1", .range(0 ... 0.999999), doc: "adam, adamw: decay of the first moment.")
        public var beta1 = 0.9
        @Parameter("optimizer.beta2", .range(0 ... 0.999999), doc: "adam, adamw: decay of the second moment.")
        public var beta2 = 0.999
        @Parameter("optimizer.eps", .above(0, atMost: 1), doc: "adam, adamw: ε added to the root of the second moment.")
        public var eps = 1e-8
        @Parameter("optimizer.weight_decay", .range(0 ... 10), doc: "L2 penalty added to the gradient (sgd, adam) or decoupled decay w ← w(1 − lr·wd) (adamw).")
        public var weightDecay = 0.0
        public init() {}
    }

    public struct Schedule: ParameterSet {
        @Parameter("schedule.kind", doc: "constant, warmup (linear ramp over schedule.warmup_steps, then constant) or cosine (warm-up, then a half cosine to schedule.min_lr at the last step).")
        public var kind = ScheduleKind.constant
        @Parameter("schedule.warmup_steps", .range(0 ... 1 << 40), doc: "warmup, cosine: steps of the linear ramp (the first step uses lr/warmup_steps).")
        public var warmupSteps = 0
        @Parameter("schedule.min_lr", .range(0 ... 1e3), doc: "cosine: learning rate at and after the last step (at most optimizer.lr).")
        public var minLR = 0.0
        public init() {}
    }

    public struct Train: ParameterSet {
        @Parameter("train.steps", .range(0 ... 1 << 40), doc: "Optimiser steps (one global batch each); 0: use train.epochs.")
        public var steps = 1000
        @Parameter("train.epochs", .range(0 ... 1 << 30), doc: "Passes over the training samples when train.steps = 0 (an epoch is ⌊samples / batch⌋ steps; the incomplete last batch is dropped).")
        public var epochs = 0
        @Parameter("train.batch", .range(1 ... 1 << 24), doc: "GLOBAL batch: samples per step over all ranks (each rank takes batch / ranks; it must divide by the rank count). The loss is the mean over the global batch, so the gradient does not depend on the rank count.")
        public var batch = 256
        @Parameter("train.seed", .atLeast(0), doc: "Seed of the model's initialisation and of the per-epoch shuffle (keyed by seed and epoch, the same on every rank).")
        public var seed = 1
        @Parameter("train.log_interval", .range(1 ... 1 << 30), resumable: true, doc: "Steps between records of /metrics (loss, accuracy, gradient norm, learning rate, samples/s).")
        public var logInterval = 10
        @Parameter("train.eval_interval", .range(0 ... 1 << 40), resumable: true, doc: "Steps between evaluations on the held-out samples (/eval); 0: only at the end.")
        public var evalInterval = 100
        @Parameter("train.checkpoint_interval", .range(0 ... 1 << 40), resumable: true, doc: "Steps between checkpoints (0: only at the end, on SIGTERM/SIGUSR1 and at run.walltime_limit).")
        public var checkpointInterval = 0
        @Parameter("train.checkpoint_walltime", .range(0 ... 1e9), resumable: true, doc: "Wall-clock seconds between checkpoints (0: off).")
        public var checkpointWalltime = 0.0
        @Parameter("train.clip_norm", .range(0 ... 1e9), doc: "Clip the global gradient norm (after the allreduce) to this; 0: no clipping.")
        public var clipNorm = 0.0
        @Parameter("train.bucket_mb", .range(0.01 ... 4096), resumable: true, doc: "Cap in MiB (2^20 bytes, as PyTorch DDP's bucket_cap_mb) of the gradient buckets summed over the ranks while backward still runs (consecutive tensors in reverse layer order; a tensor is never split).")
        public var bucketMB = 25.0
        @Parameter("train.shard_optimizer", resumable: true, doc: "On several ranks, shard the optimiser step (ZeRO stage 1): each gradient bucket is reduce-scattered so every rank sums and updates only its 1/P slice, holding optimiser state (Adam m, v) for that slice alone, then the parameters are allgathered. Same results to float round-off and the same checkpoints; optimiser time and state per rank shrink by the rank count. One rank ignores it. Off by default: slower on the 2-core development machine (bench/README.md).")
        public var shardOptimizer = false
        @Parameter("train.shared_memory", resumable: true, doc: "When at least two ranks share a node (and every node has as many), reduce the gradients through the node's shared memory (an MPI-3 shared-memory window holding ONE parameter buffer per node and each rank's gradients): after backward each rank sums and updates its own 1/L slice in place, with MPI only between nodes (the slice of each node). No bucketed allreduce, no copies; optimiser state for the rank's slice only. Same results to float round-off and the same checkpoints as the allreduce. Replaces train.shard_optimizer and train.bucket_mb's overlap when it applies; false: always the bucketed allreduce. The log says which reduction runs and why.")
        public var sharedMemory = true
        public init() {}
    }

    public var data = Data()
    public var model = Model()
    @Parameter("loss.kind", doc: "mse, cross-entropy (softmax on C logits, integer labels), bce-logits (one logit per target in [0, 1], or 2 classes on one logit); auto: mse for real targets, bce-logits for 2 classes, cross-entropy for more.")
    public var loss = LossKind.auto
    public var optimizer = Optim()
    public var schedule = Schedule()
    public var train = Train()
    public var diffusion = DiffusionKeys()
    @Parameter("output.file", .fileName(extensions: [".h5", ".hdf5"]), doc: "HDF5 file of metrics, evaluations, final parameters (and Bayes-optimal comparison) in the output directory.")
    public var file = "training.h5"

    public init() {}
}
