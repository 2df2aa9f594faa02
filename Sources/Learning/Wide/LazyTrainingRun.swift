/// One run of the lazy-training experiment of the wide-sweep: an NTK-parameterised MLP
/// `inputs → width (→ width …) → 1` fitted by plain SGD (constant, width-independent learning
/// rate, no momentum) to a fixed random teacher on Gaussian inputs, for a fixed number of steps.
///
/// The data depend on `dataSeed` only, so every width and every student `seed` sees the same
/// task; the student's initialisation depends on `seed` only. In NTK parameterisation the
/// function moves O(1) while each weight moves O(width^−1/2), so ‖Δθ‖/‖θ₀‖ falls as width^−1/2
/// with one hidden layer (with two or more, the width × width matrices make ‖θ₀‖ grow as width
/// and the ratio fall as width^−1: measured −0.92 for two hidden layers, widths 64…1024). The
/// linearisation gap and the NTK change fall faster than the width^−1/2 bound of the lazy-training
/// theorems: as width^−1 for smooth activations (measured slopes −0.96 and −1.01 for tanh, LazyTrainingTests), about −0.64 and −0.82
/// for ReLU, whose kinks the linear model cannot follow.
public struct LazyTrainingRun: Sendable, Equatable, Codable {
    /// Element-wise activation of the student's hidden layers.
    public enum Activation: String, Sendable, Equatable, Codable, CaseIterable {
        /// `ReLU`.
        case relu
        /// `Tanh` (the smooth default: its gap and kernel change fall as width^−1).
        case tanh
        /// `GELU` (tanh approximation).
        case gelu
        /// `SiLU`.
        case silu

        /// A fresh layer instance.
        public func makeLayer() -> any Layer {
            switch self {
            case .relu: ReLU()
            case .tanh: Tanh()
            case .gelu: GELU()
            case .silu: SiLU()
            }
        }
    }

    /// Student hidden width.
    public var width: Int
    /// Student initialisation seed.
    public var seed: UInt64
    /// Input dimension.
    public var inputs = 16
    /// Number of hidden layers of the student (each `width` wide).
    public var hiddenLayers = 1
    /// Student activation.
    public var activation = Activation.tanh
    /// NTK bias scale β of every student layer.
    public var beta: Float = 0.1
    /// Training samples.
    public var trainSamples = 64
    /// Mini-batch size (equal to `trainSamples`: full-batch gradient descent). Batches follow a
    /// per-epoch permutation keyed by `dataSeed`, the same for every width and seed.
    public var batch = 64
    /// Held-out probe samples on which the function, its linearisation and the NTK are compared.
    public var probeSamples = 32
    /// SGD steps.
    public var steps = 100
    /// Learning rate (width-independent: the NTK parameterisation makes that the right scaling).
    public var learningRate: Float = 0.5
    /// Seed of the inputs and of the teacher network.
    public var dataSeed: UInt64 = 0
    /// Hidden width of the teacher (one tanh layer, NTK parameterisation, β = 0.1).
    public var teacherWidth = 32
    /// Working memory for the NTK's Jacobian blocks, bytes.
    public var ntkMemoryBudget = EmpiricalNTK.defaultMemoryBudget

    /// A run with the defaults above for `width` and `seed`.
    public init(width: Int, seed: UInt64) {
        self.width = width
        self.seed = seed
    }

    /// Throws a `LazyTrainingRunError` naming the first field that is out of range and what it must be.
    public func validate() throws {
        func require(_ ok: Bool, _ field: String, _ value: String, _ must: String) throws {
            if !ok { throw LazyTrainingRunError(field: field, value: value, requirement: must) }
        }
        try require(width >= 1, "width", "\(width)", "at least 1")
        try require(inputs >= 1, "inputs", "\(inputs)", "at least 1")
        try require(hiddenLayers >= 1, "hidden_layers", "\(hiddenLayers)", "at least 1")
        try require(beta.isFinite && beta >= 0, "beta", "\(beta)", "finite and ≥ 0")
        try require(trainSamples >= 1, "train_samples", "\(trainSamples)", "at least 1")
        try require(batch >= 1 && batch <= trainSamples && trainSamples % batch == 0, "batch", "\(batch)",
                    "between 1 and train_samples (\(trainSamples)) and a divisor of it")
        try require(probeSamples >= 1, "probe_samples", "\(probeSamples)", "at least 1")
        try require(steps >= 1, "steps", "\(steps)", "at least 1")
        try require(learningRate.isFinite && learningRate > 0, "learning_rate", "\(learningRate)", "finite and > 0")
        try require(teacherWidth >= 1, "teacher_width", "\(teacherWidth)", "at least 1")
        try require(ntkMemoryBudget >= 1 << 20, "ntk_memory_budget", "\(ntkMemoryBudget)", "at least 1 MiB")
    }

    /// Number of student parameters: (inputs + 1)·width + (hidden − 1)·(width + 1)·width + width + 1.
    public var parameterCount: Int {
        (inputs + 1) * width + (hiddenLayers - 1) * (width + 1) * width + width + 1
    }

    /// Bytes the run holds, roughly: parameters, gradients, θ₀, two copies for the linearisation,
    /// the NTK's Jacobian blocks (at most the budget) and the activations of a batch.
    public var memoryEstimate: Int {
        let floats = 5 * parameterCount + 8 * max(batch, probeSamples) * width * hiddenLayers
        let jacobian = min(ntkMemoryBudget, EmpiricalNTK.jacobianBytes(parameters: parameterCount, probes: probeSamples, outputs: 1))
        return floats * MemoryLayout<Float>.size + jacobian
    }

    /// The untrained student, built for `batch` rows with initialisation seed `seed`.
    public func makeStudent() throws -> Sequential {
        var layers: [any Layer] = []
        for _ in 0 ..< hiddenLayers {
            layers.append(Dense(outputs: width, initialization: .ntk(beta: beta)))
            layers.append(activation.makeLayer())
        }
        layers.append(Dense(outputs: 1, initialization: .ntk(beta: beta)))
        return try Sequential(inputFeatures: inputs, batch: batch, seed: seed, layers)
    }
}

/// A `LazyTrainingRun` field out of range: names it, its value and what it must be.
public struct LazyTrainingRunError: Error, Equatable, CustomStringConvertible {
    /// The field, in the job file's snake_case spelling.
    public let field: String
    /// Its value.
    public let value: String
    /// What it must be.
    public let requirement: String

    /// "wide run: batch = 7 must be …".
    public var description: String { "wide run: \(field) = \(value) must be \(requirement)" }
}
