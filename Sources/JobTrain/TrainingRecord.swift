import Learning

/// The time series of a training run: one entry per `train.log_interval` steps (`/metrics`) and
/// per evaluation (`/eval`). Plain values, identical on every rank (already reduced), so any
/// trainer can fill them and ``TrainingFile`` writes them.
public struct TrainingHistory: Equatable, Sendable {
    /// Step count after the update that closed the record (1-based).
    public var step: [Int] = []
    /// Mean training loss over the record's steps (global batches).
    public var loss: [Double] = []
    /// Training accuracy over the record's steps (NaN for regression).
    public var accuracy: [Double] = []
    /// Global gradient norm (after the allreduce, before clipping) at the record's last step.
    public var gradNorm: [Double] = []
    /// Learning rate used by the record's last step.
    public var learningRate: [Double] = []
    /// Training samples per wall-clock second over the record's steps (all ranks together).
    public var samplesPerSecond: [Double] = []
    /// Fraction of the record's gradient-allreduce time (rank 0's time with a bucket reduction in
    /// flight) that ran while backward was still computing: hidden behind computation. 1 on one
    /// rank (nothing communicated) and when nothing had to wait.
    public var allreduceHiddenFraction: [Double] = []

    /// Step count at each evaluation.
    public var evalStep: [Int] = []
    /// Held-out loss (mean over the held-out samples).
    public var evalLoss: [Double] = []
    /// Held-out accuracy (NaN for regression).
    public var evalAccuracy: [Double] = []

    public init() {}

    /// Appends one `/metrics` record.
    public mutating func record(step s: Int, loss l: Double, accuracy a: Double, gradNorm g: Double, learningRate r: Double, samplesPerSecond v: Double,
                                allreduceHiddenFraction hidden: Double = 1) {
        step.append(s); loss.append(l); accuracy.append(a); gradNorm.append(g); learningRate.append(r); samplesPerSecond.append(v)
        allreduceHiddenFraction.append(hidden)
    }

    /// Appends one `/eval` record.
    public mutating func recordEval(step s: Int, loss l: Double, accuracy a: Double) {
        evalStep.append(s); evalLoss.append(l); evalAccuracy.append(a)
    }
}

/// The network against the Bayes-optimal classifier on the held-out samples of a Gaussian
/// mixture (`/bayes`).
public struct BayesSummary: Equatable, Sendable {
    /// The network's accuracy.
    public var networkAccuracy: Double
    /// Accuracy of the quadratic discriminant log N(x; μ₊, Σ₊) − log N(x; μ₋, Σ₋) + log prior ratio.
    public var bayesAccuracy: Double
    /// Standard error (a(1 − a)/n)^{1/2} of the Monte-Carlo `bayesAccuracy` on these samples.
    public var bayesAccuracyStandardError: Double
    /// Φ(Δ/2) with Δ the Mahalanobis distance, for equal class covariances; NaN otherwise.
    public var bayesAccuracyClosedForm: Double
    /// Fraction of held-out samples on which the network and the Bayes classifier decide alike.
    public var agreement: Double
    /// Pearson correlation of the network's logit with the optimal log-likelihood ratio.
    public var logitCorrelation: Double
    /// Held-out samples the figures are over (their standard error is about sqrt(a(1 − a)/n)).
    public var samples: Int

    public init(networkAccuracy: Double, bayesAccuracy: Double, bayesAccuracyStandardError: Double, bayesAccuracyClosedForm: Double,
                agreement: Double, logitCorrelation: Double, samples: Int) {
        self.networkAccuracy = networkAccuracy
        self.bayesAccuracy = bayesAccuracy
        self.bayesAccuracyStandardError = bayesAccuracyStandardError
        self.bayesAccuracyClosedForm = bayesAccuracyClosedForm
        self.agreement = agreement
        self.logitCorrelation = logitCorrelation
        self.samples = samples
    }
}

/// The trained parameters with their names and layers (`/model`).
public struct ModelRecord: Sendable {
    /// One parameter tensor.
    public struct Tensor: Sendable, Equatable {
        /// The ParameterView name ("0.weight", "2.1.bias").
        public var name: String
        /// Row-major shape.
        public var shape: [Int]
        /// The layer's key in the job file (`model.layers[0]`).
        public var key: String
        /// The layer's summary ("Dense(16→64)").
        public var layer: String
        /// Float32 values.
        public var values: [Float]
    }

    /// The model description (``ModelSpec/description``).
    public var description: String
    /// Every tensor, in store order.
    public var tensors: [Tensor]

    public init(description: String, tensors: [Tensor]) {
        self.description = description
        self.tensors = tensors
    }

    /// The tensors of a built model: names from its store's views, layers from the top-level
    /// index that starts each name.
    /// `values` (default: the store's) replace the parameters, e.g. their moving average.
    public init(model: Sequential, spec: ModelSpec, values given: [Float]? = nil) {
        description = spec.description
        let values = given ?? model.store.values
        tensors = model.store.views.map { v in
            let top = Int(v.name.split(separator: ".").first ?? "") ?? 0
            let layer = top < model.layers.count ? model.layers[top].summary : ""
            return Tensor(name: v.name, shape: v.shape, key: spec.layerKey(top), layer: layer, values: Array(values[v.range]))
        }
    }
}
