import Learning

/// An exponential moving average of a model's parameters (the weights diffusion models sample with):
/// after each optimiser step, θ̄ ← d θ̄ + (1 − d) θ, with d = `decay`, or with warm-up
/// d_n = min(decay, (1 + n)/(10 + n)) at the n-th update (n = 0, 1, …), so early averages are not dominated by
/// the random initial weights. The average is kept in float64: with d = 0.9999 a float32 average would drop
/// increments below half an ulp of θ̄.
public struct ExponentialMovingAverage: Sendable, Equatable {
    /// The plain-array state, for a checkpoint.
    public struct State: Sendable, Equatable {
        /// θ̄, one value per parameter (ParameterStore order).
        public var average: [Double]
        /// Number of updates so far.
        public var updates: Int

        public init(average: [Double], updates: Int) {
            self.average = average
            self.updates = updates
        }
    }

    /// The decay d (0 ≤ d < 1).
    public let decay: Double
    /// Whether the decay ramps up as (1 + n)/(10 + n).
    public let warmup: Bool
    /// θ̄ and the update count.
    public private(set) var state: State

    /// Starts the average at the store's current parameters (update count 0).
    public init(of store: ParameterStore, decay: Double, warmup: Bool = true) throws {
        try self.init(state: State(average: store.withUnsafeValues { $0.map(Double.init) }, updates: 0),
                      decay: decay, warmup: warmup)
    }

    /// Restores an average saved from `state` (for example read from a checkpoint).
    public init(state: State, decay: Double, warmup: Bool = true) throws {
        guard decay.isFinite, decay >= 0, decay < 1 else {
            throw DiffusionError("EMA: decay must lie in [0, 1), got \(decay) (fix: 0.999 or 0.9999 are usual)")
        }
        guard state.updates >= 0 else { throw DiffusionError("EMA: a saved update count must be >= 0, got \(state.updates)") }
        if let bad = state.average.firstIndex(where: { !$0.isFinite }) {
            throw DiffusionError("EMA: saved average value \(bad) is \(state.average[bad]) (fix: the checkpoint is damaged; restart the average)")
        }
        self.decay = decay
        self.warmup = warmup
        self.state = state
    }

    /// The decay of the next update.
    public var currentDecay: Double {
        warmup ? min(decay, Double(1 + state.updates) / Double(10 + state.updates)) : decay
    }

    /// θ̄ ← d θ̄ + (1 − d) θ from the store's parameters.
    public mutating func update(from store: ParameterStore) throws {
        guard store.count == state.average.count else {
            throw DiffusionError("EMA: the average has \(state.average.count) parameters but the model has \(store.count) (fix: restore the average of this model)")
        }
        let d = currentDecay
        store.withUnsafeValues { theta in
            state.average.withUnsafeMutableBufferPointer { avg in
                for i in 0 ..< avg.count { avg[i] = d * avg[i] + (1 - d) * Double(theta[i]) }
            }
        }
        state.updates += 1
    }

    /// Writes θ̄ (rounded to float32) into the store's parameters, for sampling or evaluation.
    public func copyAverage(to store: ParameterStore) throws {
        guard store.count == state.average.count else {
            throw DiffusionError("EMA: the average has \(state.average.count) parameters but the model has \(store.count)")
        }
        store.withUnsafeMutableValues { theta in
            for i in 0 ..< theta.count { theta[i] = Float(state.average[i]) }
        }
    }
}
