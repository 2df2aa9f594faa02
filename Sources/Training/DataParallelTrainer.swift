import Foundation
import Learning
import Parallel

/// Data-parallel training of one `Sequential` model: every rank holds the whole model and a share
/// of each global batch; gradients are summed over ranks by bucketed non-blocking allreduces that
/// start while backward is still running.
///
/// The algorithm, step by step (every rank, in lockstep):
/// 1. The epoch's order is `EpochShuffle(count:seed:).permutation(epoch:)`, the same on every rank;
///    global batch b is `order[b·B ..< (b+1)·B]` and this rank loads only its contiguous share
///    (`BatchSharding.rankShare`, remainder to the first ranks) from the source.
/// 2. Forward and loss on the share; the loss is a mean over the GLOBAL batch, so the local gradients
///    summed over ranks are the global-batch gradient whatever the rank count.
/// 3. Backward on a worker thread; after each layer the MPI thread starts the allreduce (sum) of
///    every bucket whose layers are done (`GradientBucketPlan`: ~25 MB of consecutive tensors in
///    reverse layer order, the same plan and order on every rank) and keeps the ones in flight moving.
/// 4. The optimiser updates each bucket's parameter range as soon as that bucket has arrived
///    (`Optimizer.step(parameters:gradients:range:)`, bit-identical to a whole-buffer step). With a
///    clip norm it waits for every bucket first: the global norm needs the whole gradient.
///    With `configuration.shardOptimizer` on several ranks (ZeRO stage 1, `GradientShardPlan`)
///    steps 3–4 become: reduce-scatter each ready bucket so this rank holds the summed gradient of
///    its own slice only, update that slice with optimiser state for the owned slices alone, and
///    allgather the bucket's updated parameters (`ShardedStep.swift`).
///    With `configuration.sharedMemory` and at least two ranks per node (the default), steps 3–4
///    are instead: backward on this thread; the node's ranks, whose parameters and gradients live
///    in one shared-memory window, each sum and update their own slice, with MPI only between
///    nodes (`NodeSharedReduction.swift`). When every parameterised layer is a Dense
///    (`configuration.partitionWeightGradients`), backward computes only dL/dx and stages its rows
///    of x and dy in the window, and each rank computes its slices of dW and db over the node's
///    whole batch instead of summing (`PartitionedWeightGradients.swift`).
/// 5. Loss, accuracy and step time are reduced over ranks; a NaN or infinite loss or gradient (the
///    same on every rank after the reductions) throws `TrainingError.nonFinite` on every rank.
///
/// One rank runs the same code without any communication. Nothing is allocated per step after
/// the first except one permutation per epoch.
public final class DataParallelTrainer {
    /// The model (its store holds the parameters every rank agrees on).
    public let model: Sequential
    /// The ranks training together.
    public let communicator: Communicator
    /// Batching, bucketing and clipping settings.
    public let configuration: TrainingConfiguration
    /// How the gradients are bucketed.
    public let bucketPlan: GradientBucketPlan
    /// The optimiser (its schedule is the one given to the trainer). With a sharded step it is this
    /// rank's optimiser for its owned slices only (`shardPlan.ownedCount` parameters); the full
    /// state is `exportState().optimizer` (collective).
    public internal(set) var optimizer: any Optimizer
    /// How each bucket is split over the ranks when the optimiser step is sharded (over all ranks
    /// with `configuration.shardOptimizer`; over the node's ranks with the shared-memory reduction);
    /// nil when it is not (one rank, or neither applies).
    public let shardPlan: GradientShardPlan?
    /// How the gradients are reduced, in words (for the job log): shared memory, allreduce, sharded,
    /// or nothing on one rank, and why.
    public let reductionDescription: String
    /// The node's shared memory, when the gradients are reduced through it.
    let shared: NodeSharedReduction?
    /// Whether the gradients are reduced through the node's shared memory (`NodeSharedReduction`).
    public var usesSharedMemory: Bool { shared != nil }
    /// The ranks `shardPlan` splits over: the node's with shared memory, all otherwise.
    let shardCommunicator: Communicator
    /// The last step's time in the shared reduction outside the optimiser (synchronisation, sums).
    var sharedCommunicationSeconds = 0.0
    /// Steps done.
    public private(set) var step = 0
    /// Epoch of the next global batch.
    public private(set) var epoch = 0
    /// Index of the next global batch within its epoch.
    public private(set) var batchInEpoch = 0
    /// Global batches per epoch (after the drop-last policy).
    public let batchesPerEpoch: Int
    /// Rows a rank may hold: ⌈globalBatch / ranks⌉.
    public let localCapacity: Int
    /// Communication and backward time since the start.
    public internal(set) var overlap = OverlapTotals()

    let loss: any Loss
    let trainingSource: any SampleSource
    let evaluationSource: (any SampleSource)?
    let batch: BatchBuffers
    private var order: [Int] = []
    private var orderEpoch = -1
    private var failed = false

    // Base addresses of the store's two buffers, taken again (and the buffers made unique) at the
    // start of every step by `acquireStoreBuffers`. The MPI thread works on gradient ranges and the
    // optimiser on parameter ranges through them while the worker thread runs backward.
    var values: UnsafeMutablePointer<Float>
    var gradients: UnsafeMutablePointer<Float>
    let parameterCount: Int

    let requests: [AllreduceRequest]
    // Sharded step only: per bucket the rank blocks and the allgather requests.
    let shardBlocks: [BlockCounts]
    let gatherRequests: [AllreduceRequest]
    private let scalarRequest = AllreduceRequest()
    // [loss, correct, bad labels] summed over ranks, then [seconds, communication, hidden] maxed: one small
    // buffer for both. The step's timings are the slowest rank's on every rank, so what the job writes (metrics,
    // checkpoint attributes) is the same on every rank, as a collective HDF5 write needs.
    let scalars = UnsafeMutablePointer<Double>.allocate(capacity: 6)
    var startTimes: [Double]
    var endTimes: [Double]
    var started = 0
    private var rows = 0
    /// Rows of the current global batch.
    private var globalRows = 0
    let worker: BackwardWorker?

    /// A trainer for `model` on `communicator`'s ranks. Collective: broadcasts rank 0's parameters
    /// and verifies every rank then holds the same model.
    ///
    /// - Parameters:
    ///   - model: built for at least `localCapacity(globalBatch:ranks:)` rows.
    ///   - loss: built for the same rows and the model's output width; its targets must fit the
    ///     source (`.classes(n)`: Int32 labels and n logits, or 1 logit with BinaryCrossEntropyWithLogits
    ///     for n = 2; `.values(w)`: w floats).
    ///   - optimizer: for `model.store.count` parameters; `schedule` replaces its schedule.
    ///   - training / evaluation: samples by global index; `evaluation` is optional.
    /// - Throws: `TrainingError` naming the key (`train.batch`, `train.bucket_bytes`, `train.clip_norm`)
    ///   or the mismatch, before any heavy work; `.replicasDiffer` if ranks hold different models.
    ///   With a sharded step the trainer makes an optimiser for this rank's slices only
    ///   (`withFreshState`) and keeps those slices of `optimizer`'s state if it has taken steps;
    ///   drop `optimizer` after this call so its full state is freed.
    public init(model: Sequential, loss: any Loss, optimizer: any Optimizer, schedule: LearningRateSchedule,
                training: any SampleSource, evaluation: (any SampleSource)? = nil,
                configuration: TrainingConfiguration, communicator: Communicator) throws {
        let b = configuration.globalBatch, ranks = communicator.size
        guard b > 0 else { throw TrainingError.invalid(key: "train.batch", message: "must be at least 1, got \(b)") }
        guard configuration.bucketBytes > 0 else {
            throw TrainingError.invalid(key: "train.bucket_bytes", message: "must be positive, got \(configuration.bucketBytes)")
        }
        if let c = configuration.clipNorm, !(c > 0 && c.isFinite) {
            throw TrainingError.invalid(key: "train.clip_norm", message: "must be a positive finite norm, got \(c); omit it for no clipping")
        }
        let capacity = Self.localCapacity(globalBatch: b, ranks: ranks)
        guard model.batch >= capacity else {
            throw TrainingError.invalid(key: "train.batch", message:
                "a rank's share of the global batch \(b) over \(ranks) ranks is up to \(capacity) samples, but the model "
                + "is built for \(model.batch); build it with batch \(capacity)")
        }
        guard loss.features == model.outputFeatures, loss.gradient.count >= capacity * model.outputFeatures else {
            throw TrainingError.mismatch("the loss takes \(loss.features) outputs for \(loss.gradient.count / max(loss.features, 1)) rows, "
                + "the model gives \(model.outputFeatures) for up to \(capacity) rows per rank")
        }
        guard optimizer.parameterCount == model.store.count else {
            throw TrainingError.mismatch("the optimiser is for \(optimizer.parameterCount) parameters, the model has \(model.store.count)")
        }
        for (name, source) in [("training", training)] + (evaluation.map { [("evaluation", $0)] } ?? []) {
            guard source.inputShape == model.inputShape else {
                throw TrainingError.mismatch("the \(name) samples have shape \(source.inputShape), the model takes \(model.inputShape)")
            }
            guard source.targetKind == training.targetKind else {
                throw TrainingError.mismatch("the evaluation targets are \(source.targetKind), the training targets \(training.targetKind)")
            }
        }
        batch = try BatchBuffers(kind: training.targetKind, loss: loss, inputElements: model.inputFeatures, rows: capacity)
        batchesPerEpoch = BatchSharding.batchCount(count: training.count, batchSize: b, dropLast: configuration.dropLast)
        guard batchesPerEpoch > 0 else {
            throw TrainingError.invalid(key: "train.batch", message:
                "the global batch \(b) is larger than the \(training.count) training samples and incomplete batches are dropped")
        }

        self.model = model
        self.loss = loss
        self.trainingSource = training
        self.evaluationSource = evaluation
        self.configuration = configuration
        self.communicator = communicator
        self.localCapacity = capacity
        bucketPlan = GradientBucketPlan(views: model.store.views, layerRanges: model.parameterRanges,
                                        bucketBytes: configuration.bucketBytes)
        parameterCount = model.store.count
        values = model.store.withUnsafeMutableValues { $0.baseAddress! }
        gradients = model.store.withUnsafeMutableGradients { $0.baseAddress! }
        requests = bucketPlan.buckets.map { _ in AllreduceRequest() }
        var sharedReduction: NodeSharedReduction?
        var how = ranks == 1 ? "one rank: nothing to reduce"
            : configuration.shardOptimizer ? "gradients reduce-scattered in buckets, sharded optimiser step"
            : "gradients allreduced in buckets"
        if configuration.sharedMemory && ranks > 1 {
            let dense = configuration.partitionWeightGradients ? PartitionedWeightGradients.denseLayers(of: model) : nil
            let (reduction, why) = try NodeSharedReduction.make(world: communicator, bucketPlan: bucketPlan, parameterCount: parameterCount,
                                                                groupSize: configuration.sharedMemoryGroupSize,
                                                                denseLayers: dense, localCapacity: capacity)
            sharedReduction = reduction
            how = reduction == nil ? "\(how), because \(why)" : why
        }
        shared = sharedReduction
        reductionDescription = how
        let shards = sharedReduction?.plan ?? (configuration.shardOptimizer && ranks > 1
            ? GradientShardPlan(plan: bucketPlan, rank: communicator.rank, ranks: ranks) : nil)
        shardPlan = shards
        shardCommunicator = sharedReduction?.node ?? communicator
        shardBlocks = try sharedReduction?.blocks ?? shards?.buckets.map { try BlockCounts($0.counts) } ?? []
        gatherRequests = shardBlocks.map { _ in AllreduceRequest() }
        var own = optimizer
        if let shards {
            own = optimizer.withFreshState(parameterCount: shards.ownedCount)
            // An optimiser that has taken steps: keep its state's owned slices. A new one's state is
            // zero, as the fresh one's (not copying it keeps the peak memory at start down).
            if optimizer.stepCount > 0 {
                try own.importState(Self.packed(optimizer.exportState(), plan: shards, parameterCount: parameterCount))
            }
        }
        self.optimizer = own
        self.optimizer.schedule = schedule
        startTimes = [Double](repeating: 0, count: bucketPlan.buckets.count)
        endTimes = startTimes
        worker = ranks > 1 && configuration.overlapOnWorkerThread && sharedReduction == nil ? BackwardWorker() : nil
        worker?.task = { [unowned self] in
            let w = self.worker!, top = self.model.layers.count
            self.model.backward(self.loss.gradient, rows: self.rows) { i in
                w.finishedLayers.store(top - i, ordering: .releasing)
            }
        }
        try synchronizeReplicas()
        try sharedReduction?.attach(model.store)
    }

    deinit {
        worker?.stop()
        // Collective over the node, like the window's creation: every rank drops its trainer at the
        // same point of the program. The model keeps its parameters (copied back).
        try? shared?.detach(model.store)
        scalars.deallocate()
    }

    /// Rows each rank's model and loss must hold for `globalBatch` over `ranks`: ⌈globalBatch / ranks⌉.
    public static func localCapacity(globalBatch: Int, ranks: Int) -> Int {
        (globalBatch + ranks - 1) / ranks
    }

    /// The learning rate of the next step.
    public var learningRate: Float { optimizer.currentLearningRate }

    // MARK: One step

    /// Trains on the next global batch and returns its metrics (the same on every rank). Collective.
    ///
    /// - Throws: `TrainingError.nonFinite` when the loss or the averaged gradient is NaN or infinite
    ///   (every rank throws; a non-finite loss leaves the parameters untouched, a non-finite gradient
    ///   may leave them partly updated: restore the last good checkpoint). An error of the source.
    @discardableResult
    public func trainStep() throws -> StepMetrics {
        guard !failed else { throw TrainingError.unusableAfterFailure }
        acquireStoreBuffers()
        let t0 = Self.now()
        let epochOfBatch = epoch
        if orderEpoch != epoch {
            order = EpochShuffle(count: trainingSource.count, seed: configuration.seed).permutation(epoch: epoch)
            orderEpoch = epoch
        }
        let b = configuration.globalBatch, comm = communicator
        let globalSize = BatchSharding.globalRange(batch: batchInEpoch, batchSize: b, count: order.count).count
        let share = BatchSharding.rankShare(of: order, batch: batchInEpoch, batchSize: b, rank: comm.rank, ranks: comm.size)
        rows = share.count
        globalRows = globalSize
        // A failed load or a bad label on one rank must stop every rank (after the reduction of the
        // flag below), not leave the others waiting in a collective.
        var loadError: Error?
        trainingSource.beginPass(step)
        do { try share.withUnsafeBufferPointer { try batch.load($0, from: trainingSource) } } catch { loadError = error }
        let labelsValid = loadError == nil && (try? batch.checkLabels(rows: rows)) != nil

        let output = model.forward(UnsafeBufferPointer(start: batch.inputs, count: rows * model.inputFeatures), rows: rows)
        scalars[0] = labelsValid ? Double(batch.evaluate(loss, output, rows: rows, globalBatch: globalSize)) : 0
        scalars[1] = Double(batch.correct(output, rows: rows))
        scalars[2] = labelsValid ? 0 : 1
        let multiRank = comm.size > 1
        if multiRank {
            try comm.startAllreduce(inPlace: UnsafeMutableBufferPointer(start: scalars, count: 3), .sum, reusing: scalarRequest)
        }

        // The shared-memory reduction clears the node's gradients as it sums them (one pass less).
        if shared?.gradientsCleared != true { model.store.zeroGradients() }
        shared?.gradientsCleared = false
        let tb = Self.now()
        let backwardEnd = try backwardAndReduce()
        overlap.backwardSeconds += backwardEnd - tb

        if multiRank { try scalarRequest.wait() }
        let globalLoss = scalars[0], correct = scalars[1], badLabels = scalars[2] > 0
        let lr = optimizer.currentLearningRate
        let norm = try update(lossIsFinite: globalLoss.isFinite && !badLabels)
        if badLabels {
            failed = true
            if let loadError { throw loadError }
            try batch.checkLabels(rows: rows)
            throw TrainingError.mismatch("another rank failed to load its share of the batch or found a label outside "
                + "the classes 0 ..< \(batch.classes ?? 0)")
        }
        if !globalLoss.isFinite || !norm.isFinite {
            failed = true
            throw TrainingError.nonFinite(step: step, loss: globalLoss, gradientNorm: norm)
        }
        let (inFlight, hidden) = shared != nil ? (sharedCommunicationSeconds, 0)
            : Self.union(starts: startTimes, ends: endTimes, count: started, before: backwardEnd)
        overlap.communicationSeconds += inFlight
        overlap.hiddenSeconds += hidden

        step += 1
        batchInEpoch += 1
        if batchInEpoch == batchesPerEpoch { batchInEpoch = 0; epoch += 1 }
        (scalars[3], scalars[4], scalars[5]) = (Self.now() - t0, inFlight, hidden)
        if multiRank { try comm.allreduce(inPlace: UnsafeMutableBufferPointer(start: scalars + 3, count: 3), .max) }
        return StepMetrics(step: step, epoch: epochOfBatch, loss: globalLoss,
                           accuracy: batch.classes == nil ? nil : correct / Double(globalSize),
                           gradientNorm: norm, learningRate: Double(lr), samples: globalSize, seconds: scalars[3],
                           communicationSeconds: scalars[4], hiddenCommunicationSeconds: scalars[5])
    }

    /// Runs backward; on several ranks starts every bucket's allreduce as soon as its layers are
    /// done. Returns when backward ended (the buckets still in flight, or reduced after it, are the
    /// communication NOT hidden behind it).
    private func backwardAndReduce() throws -> Double {
        started = 0
        let dy = loss.gradient
        guard communicator.size > 1, shared == nil else {
            if let partition = shared?.partition {
                partition.begin(globalRows: globalRows)
                defer { partition.end() }
                model.backward(dy, rows: rows)
            } else {
                model.backward(dy, rows: rows)
            }
            return Self.now()
        }
        let top = model.layers.count
        let end: Double
        if let worker {
            worker.start()
            do {
                while true {
                    let finished = worker.finishedLayers.load(ordering: .acquiring)
                    if finished == top { break }
                    try startBuckets(readyFrom: top - finished)
                    try progress()
                    usleep(50)
                }
            } catch {
                worker.waitUntilFinished()  // never leave the worker running into the next step
                throw error
            }
            worker.waitUntilFinished()
            end = worker.finishedAt
        } else {
            var failure: Error?
            model.backward(dy, rows: rows) { i in
                guard failure == nil, i > 0 else { return }
                do { try startBuckets(readyFrom: i); try progress() } catch { failure = error }
            }
            if let failure { throw failure }
            end = Self.now()
        }
        try startBuckets(readyFrom: 0)
        return end
    }

    /// Starts, in plan order, the buckets whose lowest layer is at or above `layer` (all done).
    private func startBuckets(readyFrom layer: Int) throws {
        let buckets = bucketPlan.buckets
        while started < buckets.count && buckets[started].readyAfterLayer >= layer {
            let r = buckets[started].range
            let bucket = UnsafeMutableBufferPointer(start: gradients + r.lowerBound, count: r.count)
            startTimes[started] = Self.now()
            if shardPlan != nil {
                try startReduceScatter(started)
            } else if configuration.blockingReductions && worker != nil {
                try communicator.allreduce(inPlace: bucket, .sum)
                endTimes[started] = Self.now()
            } else {
                endTimes[started] = .infinity
                try communicator.startAllreduce(inPlace: bucket, .sum, reusing: requests[started])
            }
            started += 1
        }
    }

    /// Lets the reductions in flight move (MPI progresses nonblocking collectives inside its calls)
    /// and notes when each finishes.
    func progress() throws {
        for k in 0 ..< started where endTimes[k] == .infinity {
            if try requests[k].test() { endTimes[k] = Self.now() }
        }
    }

    func waitBucket(_ k: Int) throws {
        guard communicator.size > 1 else { return }
        if endTimes[k] == .infinity {
            try requests[k].wait()
            endTimes[k] = Self.now()
        }
    }

    /// Waits for the buckets and updates the parameters; returns the averaged gradient's norm
    /// (before clipping; NaN or infinite if the gradient is). Skips the update when the loss or a
    /// bucket is not finite, but always waits for every bucket (their buffers are in use).
    private func update(lossIsFinite: Bool) throws -> Double {
        if let shared { return try updateShared(shared, lossIsFinite: lossIsFinite) }
        if let shardPlan { return try updateSharded(shardPlan, lossIsFinite: lossIsFinite) }
        let buckets = bucketPlan.buckets
        let all = UnsafeMutableBufferPointer(start: gradients, count: parameterCount)
        let params = UnsafeMutableBufferPointer(start: values, count: parameterCount)
        if let clip = configuration.clipNorm {
            for k in buckets.indices { try waitBucket(k) }
            let norm = Double(GradientClipping.norm(UnsafeBufferPointer(all)))
            guard lossIsFinite && norm.isFinite else { return norm }
            GradientClipping.byGlobalNorm(all, maxNorm: clip)
            let t = Self.now()
            optimizer.step(parameters: params, gradients: UnsafeBufferPointer(all))
            overlap.optimizerSeconds += Self.now() - t
            return norm
        }
        var squares = 0.0
        var healthy = lossIsFinite
        for k in buckets.indices {
            try waitBucket(k)
            let r = buckets[k].range
            let n = GradientClipping.norm(UnsafeBufferPointer(start: gradients + r.lowerBound, count: r.count))
            squares += n * n
            healthy = healthy && n.isFinite
            if healthy {
                let t = Self.now()
                optimizer.step(parameters: params, gradients: UnsafeBufferPointer(all), range: r)
                overlap.optimizerSeconds += Self.now() - t
            }
            if communicator.size > 1 { try progress() }
        }
        if healthy { optimizer.completeStep() }
        return squares.squareRoot()
    }

    // MARK: Helpers

    /// Whether a step failed since the last restore.
    var hasFailed: Bool { failed }

    /// Sets the data position (restore) and clears a failure.
    func setPosition(step: Int, epoch: Int, batchInEpoch: Int) {
        self.step = step
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        failed = false
    }

    /// Makes the store's buffers uniquely referenced and takes their addresses. Writing through
    /// raw pointers bypasses copy-on-write, so a live copy of `store.values` held elsewhere (θ₀ of
    /// `Linearization`, the parameters of an exported `TrainerState`) would otherwise change with
    /// every update; with such a copy the store gets its own buffer here (one copy, the only
    /// allocation it can cost), and without one this is two pointer reads.
    private func acquireStoreBuffers() {
        precondition(model.store.count == parameterCount,
                     "DataParallelTrainer: the parameter store has \(model.store.count) parameters, the trainer was made for \(parameterCount)")
        values = model.store.withUnsafeMutableValues { $0.baseAddress! }
        gradients = model.store.withUnsafeMutableGradients { $0.baseAddress! }
    }

    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
    }

    /// Length of the union of the intervals [starts[k], ends[k]] (k < count, in increasing start
    /// order) and the part of it before `before`.
    static func union(starts: [Double], ends: [Double], count: Int, before: Double) -> (Double, Double) {
        var total = 0.0, early = 0.0
        var lo = -Double.infinity, hi = -Double.infinity
        func flush() {
            guard hi > lo else { return }
            total += hi - lo
            early += max(0, min(hi, before) - lo)
        }
        for k in 0 ..< count {
            if starts[k] > hi { flush(); lo = starts[k]; hi = ends[k] } else { hi = max(hi, ends[k]) }
        }
        flush()
        return (total, early)
    }
}
