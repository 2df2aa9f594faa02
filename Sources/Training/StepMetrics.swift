/// What one training step measured, reduced over ranks (the same values on every rank).
public struct StepMetrics: Sendable, Equatable {
    /// Steps done, this one included (1 after the first step).
    public var step: Int
    /// Epoch of the step's global batch (0-based).
    public var epoch: Int
    /// Mean loss over the global batch.
    public var loss: Double
    /// Fraction of the global batch classified correctly (class targets only).
    public var accuracy: Double?
    /// 2-norm of the averaged gradient, before clipping.
    public var gradientNorm: Double
    /// Learning rate of the update.
    public var learningRate: Double
    /// Samples in the global batch.
    public var samples: Int
    /// Wall time of the step on the slowest rank.
    public var seconds: Double
    /// `samples / seconds`.
    public var samplesPerSecond: Double { seconds > 0 ? Double(samples) / seconds : 0 }
    /// The longest time, over ranks, with at least one gradient reduction in flight (on each rank the union
    /// of their start-to-completion intervals; 0 on one rank). The same on every rank.
    public var communicationSeconds: Double
    /// The part before backward had finished, hidden behind computation: the largest over ranks.
    public var hiddenCommunicationSeconds: Double
    /// `hiddenCommunicationSeconds / communicationSeconds` (1 when nothing was communicated).
    public var hiddenFraction: Double {
        communicationSeconds > 0 ? hiddenCommunicationSeconds / communicationSeconds : 1
    }
}

/// Loss and accuracy over a held-out set, reduced over ranks.
public struct EvaluationMetrics: Sendable, Equatable {
    /// Mean loss over every sample of the set.
    public var loss: Double
    /// Fraction classified correctly (class targets only).
    public var accuracy: Double?
    /// Samples evaluated.
    public var samples: Int
}

/// Communication totals since the trainer was made (this rank's clock).
public struct OverlapTotals: Sendable, Equatable {
    /// Time with a gradient allreduce (with a sharded step: reduce-scatter) in flight.
    public var communicationSeconds = 0.0
    /// The part of it before backward had finished.
    public var hiddenSeconds = 0.0
    /// Time spent in backward passes.
    public var backwardSeconds = 0.0
    /// Time spent in the optimiser's updates (with a sharded step: of this rank's slices only).
    public var optimizerSeconds = 0.0
    /// With a sharded step: time spent gathering the updated parameters (allgather); 0 otherwise.
    public var gatherSeconds = 0.0
    /// With the shared-memory reduction: time waiting for the node's ranks (the synchronisation
    /// after backward, which also absorbs the slowest rank's lag, and the one after the update).
    public var synchronizationSeconds = 0.0
    /// With the shared-memory reduction: time summing this rank's slices of the node's gradients
    /// (and, with several nodes, allreducing them between nodes).
    public var summationSeconds = 0.0
    /// `hiddenSeconds / communicationSeconds` (1 when nothing was communicated).
    public var hiddenFraction: Double { communicationSeconds > 0 ? hiddenSeconds / communicationSeconds : 1 }
}
