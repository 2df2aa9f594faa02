/// How the data-parallel trainer batches, reduces and clips.
public struct TrainingConfiguration: Sendable, Equatable, Codable {
    /// Samples per optimiser step over ALL ranks (the job key `train.batch`). It need not divide by
    /// the rank count: global batch b of an epoch is split into contiguous shares with the remainder
    /// going to the first ranks (`BatchSharding.shareRange`), and every loss is a mean over the whole
    /// global batch, so the gradient does not depend on the rank count either way.
    public var globalBatch: Int
    /// Seed of the epoch shuffles (`EpochShuffle(count:seed:)`): the sequence of global batches
    /// depends on it and on the epoch only.
    public var seed: UInt64
    /// Gradient bucket cap in bytes (default 25 MB, as PyTorch DDP).
    public var bucketBytes: Int
    /// Clip the averaged gradient to this global 2-norm; nil for no clipping. Clipping needs the
    /// norm of the WHOLE gradient, so the optimiser then waits for every bucket before updating.
    public var clipNorm: Float?
    /// Whether an epoch's last, incomplete global batch is skipped (true) or used as a smaller
    /// batch (false; its loss is then a mean over its own size).
    public var dropLast: Bool
    /// Whether backward runs on a worker thread while this (the MPI) thread starts and progresses
    /// the bucket allreduces (true, the default), or on this thread with progress only between
    /// layers (false). MPI nonblocking collectives progress only inside MPI calls, so without the
    /// worker little communication overlaps a layer's GEMMs. One rank never communicates.
    public var overlapOnWorkerThread: Bool
    /// With the worker thread: reduce each ready bucket with a BLOCKING allreduce on the MPI thread
    /// (true: MPI's tuned algorithms, driven at full speed while the worker computes) instead of a
    /// nonblocking one polled every 50 µs (false: libnbc's schedules, which advance only when tested).
    public var blockingReductions: Bool
    /// Whether the optimiser step is sharded over the ranks (ZeRO stage 1): each bucket's gradient
    /// is reduce-scattered, each rank updates its 1/P slice with optimiser state for that slice
    /// only, and the parameters are allgathered (`GradientShardPlan`). The same bytes move as with
    /// the allreduce, the optimiser's time and state shrink by the rank count. One rank ignores it.
    public var shardOptimizer: Bool
    /// Whether ranks that share a node reduce their gradients through the node's shared memory
    /// (true, the default; `NodeSharedReduction`): the node's ranks hold ONE parameter buffer and
    /// each its gradient in an MPI-3 shared-memory window; after backward each rank sums its 1/L
    /// slice of the L gradients, reduces that slice with the same slice of the other nodes (MPI,
    /// only with several nodes), and updates it with optimiser state for that slice alone. It
    /// replaces the bucketed allreduce (and `shardOptimizer`) when at least two ranks share a node
    /// and every node has the same number of ranks; otherwise the allreduce path runs.
    public var sharedMemory: Bool
    /// Ranks per shared-memory group instead of the node (consecutive world ranks; nil: the node).
    /// For tests of the several-node path on one machine (the last group may be smaller; groups of
    /// different sizes fall back to the allreduce); the group's ranks must share memory.
    public var sharedMemoryGroupSize: Int?
    /// With the shared-memory reduction and a model whose parameterised layers are all `Dense`: each
    /// rank computes its slices of dW and db over the node's whole batch from x and dy staged in the
    /// shared window, instead of every rank computing all of dW over its share and the ranks summing
    /// (true, the default; `PartitionedWeightGradients`). The same gradient to round-off; faster,
    /// because one SGEMM over the node's batch runs at a higher rate than one per share and the sum
    /// pass goes away.
    public var partitionWeightGradients: Bool

    /// A configuration; only `globalBatch` is required.
    public init(globalBatch: Int, seed: UInt64 = 0, bucketBytes: Int = GradientBucketPlan.defaultBucketBytes,
                clipNorm: Float? = nil, dropLast: Bool = true, overlapOnWorkerThread: Bool = true,
                blockingReductions: Bool = true, shardOptimizer: Bool = false, sharedMemory: Bool = true,
                sharedMemoryGroupSize: Int? = nil, partitionWeightGradients: Bool = true) {
        self.globalBatch = globalBatch
        self.seed = seed
        self.bucketBytes = bucketBytes
        self.clipNorm = clipNorm
        self.dropLast = dropLast
        self.overlapOnWorkerThread = overlapOnWorkerThread
        self.blockingReductions = blockingReductions
        self.shardOptimizer = shardOptimizer
        self.sharedMemory = sharedMemory
        self.sharedMemoryGroupSize = sharedMemoryGroupSize
        self.partitionWeightGradients = partitionWeightGradients
    }
}

/// Why training cannot start or continue. Each message names the job key or the fix.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A configuration value is out of range: `key` is the job-file key.
    case invalid(key: String, message: String)
    /// The model, loss and data do not fit together.
    case mismatch(String)
    /// Ranks hold different models (parameter count, layout or values after the broadcast).
    case replicasDiffer(String)
    /// The loss or the averaged gradient of step `step` is NaN or infinite (agreed by every rank).
    /// The parameters may be partly updated: restore the last good checkpoint.
    case nonFinite(step: Int, loss: Double, gradientNorm: Double)
    /// A checkpoint state does not belong to this trainer.
    case badState(String)
    /// A previous step failed; the in-memory state is no longer a valid training state.
    case unusableAfterFailure

    public var description: String {
        switch self {
        case let .invalid(key, message): return "\(key): \(message)"
        case let .mismatch(m): return m
        case let .replicasDiffer(m): return "ranks hold different models: \(m)"
        case let .nonFinite(step, loss, norm):
            return "training diverged at step \(step): loss \(loss), gradient norm \(norm) (NaN or infinite); "
                + "keep the last good checkpoint and lower the learning rate or set a clip norm"
        case let .badState(m): return "checkpoint state does not fit this run: \(m)"
        case .unusableAfterFailure:
            return "the trainer failed in an earlier step; restore a checkpoint before continuing"
        }
    }
}
