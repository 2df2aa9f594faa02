import Learning

/// Everything a checkpoint needs to continue training exactly: position in the data, parameters
/// and optimiser state. Plain and Codable; the job kind writes it through JobKit's CheckpointFile.
/// Restoring it and training on gives parameters bit-identical to an uninterrupted run on the same
/// rank count (another rank count continues the same mathematics to float round-off).
public struct TrainerState: Sendable, Equatable, Codable {
    /// Steps done.
    public var step: Int
    /// Epoch of the next global batch.
    public var epoch: Int
    /// Index of the next global batch within its epoch.
    public var batchInEpoch: Int
    /// Shuffle seed of the run (must match on restore).
    public var seed: UInt64
    /// Global batch of the run (must match on restore).
    public var globalBatch: Int
    /// Ranks of the run that wrote it (informational).
    public var ranks: Int
    /// The flat parameter buffer (`ParameterStore.values`).
    public var parameters: [Float]
    /// The optimiser's step counter and moment buffers.
    public var optimizer: OptimizerState

    /// A state from its parts.
    public init(step: Int, epoch: Int, batchInEpoch: Int, seed: UInt64, globalBatch: Int, ranks: Int,
                parameters: [Float], optimizer: OptimizerState) {
        self.step = step
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.seed = seed
        self.globalBatch = globalBatch
        self.ranks = ranks
        self.parameters = parameters
        self.optimizer = optimizer
    }
}
