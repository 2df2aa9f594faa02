import Learning
import Parallel

/// The sharded optimiser step (ZeRO stage 1; `TrainingConfiguration.shardOptimizer` on several
/// ranks). Per bucket, in the bucket plan's order on every rank: the gradient is reduce-scattered
/// in place as soon as its layers are done (rank k receives the sum over ranks of its own slice
/// only, at the START of the bucket's gradient range: MPI's in-place rule, so no extra buffer), the
/// optimiser updates that slice of the parameters in place with state for the owned slices alone,
/// and the bucket's parameters are allgathered in place so every rank again holds the whole model.
/// The gradient buffer is scratch after the step (zeroed before the next backward). Reduce-scatter plus allgather move the bytes of one allreduce; the
/// optimiser's work and state shrink by the rank count.
///
/// Because one rank computes each updated parameter and sends its bits to the others, the replicas
/// stay bit-identical. The global gradient norm (for clipping and the metrics) is the square root of
/// the per-shard sums of squares summed over ranks: the same as the unsharded norm up to the order
/// of a double-precision sum.
extension DataParallelTrainer {
    /// Starts (or, on the worker-thread blocking path, runs) the reduce-scatter of bucket `k`.
    func startReduceScatter(_ k: Int) throws {
        let r = bucketPlan.buckets[k].range
        let bucket = UnsafeMutableBufferPointer(start: gradients + r.lowerBound, count: r.count)
        if configuration.blockingReductions && worker != nil {
            try communicator.reduceScatter(inPlace: bucket, blocks: shardBlocks[k], .sum)
            endTimes[k] = Self.now()
        } else {
            endTimes[k] = .infinity
            try communicator.startReduceScatter(inPlace: bucket, blocks: shardBlocks[k], .sum, reusing: requests[k])
        }
    }

    /// Bucket `k`'s reduced gradient slice of this rank (after its reduce-scatter): the first
    /// `owned.count` elements of the bucket's gradient range.
    private func reducedSlice(_ k: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: gradients + bucketPlan.buckets[k].range.lowerBound, count: shardPlan!.buckets[k].owned.count)
    }

    /// Waits for the reduce-scatters, updates this rank's slices, gathers the parameters; returns
    /// the global norm of the summed gradient (before clipping). Skips the updates (but not the
    /// collectives, which every rank must join) when the loss or the gradient is not finite.
    func updateSharded(_ plan: GradientShardPlan, lossIsFinite: Bool) throws -> Double {
        let buckets = bucketPlan.buckets
        let blocking = configuration.blockingReductions && worker != nil
        var squares = 0.0
        if let clip = configuration.clipNorm {
            for k in buckets.indices { try waitBucket(k) }
            for k in buckets.indices { squares += GradientClipping.sumOfSquares(UnsafeBufferPointer(reducedSlice(k))) }
            let norm = try globalNorm(squares)
            let healthy = lossIsFinite && norm.isFinite
            for k in buckets.indices {
                if healthy {
                    GradientClipping.byGlobalNorm(reducedSlice(k), maxNorm: clip, globalNorm: norm)
                    stepSlice(k)
                }
                try gather(k, blocking: blocking)
            }
            try finishGathers(blocking: blocking)
            if healthy { optimizer.completeStep() }
            return norm
        }
        var healthy = lossIsFinite
        for k in buckets.indices {
            try waitBucket(k)
            let sq = GradientClipping.sumOfSquares(UnsafeBufferPointer(reducedSlice(k)))
            squares += sq
            healthy = healthy && sq.isFinite
            if healthy { stepSlice(k) }
            try gather(k, blocking: blocking)
            try progress()
        }
        try finishGathers(blocking: blocking)
        let norm = try globalNorm(squares)
        // The step counts only if it was good everywhere (the same decision on every rank).
        if lossIsFinite && norm.isFinite { optimizer.completeStep() }
        return norm
    }

    private func stepSlice(_ k: Int) {
        let s = shardPlan!.buckets[k], t = Self.now()
        optimizer.step(slice: values + s.owned.lowerBound, gradients: UnsafePointer(reducedSlice(k).baseAddress!),
                       count: s.owned.count, stateOffset: s.stateOffset)
        overlap.optimizerSeconds += Self.now() - t
    }

    private func gather(_ k: Int, blocking: Bool) throws {
        let r = bucketPlan.buckets[k].range
        let bucket = UnsafeMutableBufferPointer(start: values + r.lowerBound, count: r.count)
        let t = Self.now()
        if blocking {
            try communicator.allgather(inPlace: bucket, blocks: shardBlocks[k])
        } else {
            try communicator.startAllgather(inPlace: bucket, blocks: shardBlocks[k], reusing: gatherRequests[k])
        }
        overlap.gatherSeconds += Self.now() - t
    }

    private func finishGathers(blocking: Bool) throws {
        guard !blocking else { return }
        let t = Self.now()
        for request in gatherRequests { try request.wait() }
        overlap.gatherSeconds += Self.now() - t
    }

    /// √(Σ over ranks of the shards' sums of squares): the same on every rank.
    private func globalNorm(_ localSquares: Double) throws -> Double {
        scalars[3] = localSquares
        try communicator.allreduce(inPlace: UnsafeMutableBufferPointer(start: scalars + 3, count: 1), .sum)
        return scalars[3].squareRoot()
    }

    // MARK: Checkpoint state

    /// The owned slices of a full (`parameterCount`-long buffers) optimiser state, packed as the
    /// sharded optimiser holds them. No communication: every rank holds the full state it slices.
    /// - Throws: `TrainingError.badState` if a buffer is not `parameterCount` long.
    static func packed(_ full: OptimizerState, plan: GradientShardPlan, parameterCount: Int) throws -> OptimizerState {
        var buffers: [String: [Float]] = [:]
        for (name, b) in full.buffers {
            guard b.count == parameterCount else {
                throw TrainingError.badState("optimiser buffer \(name) has \(b.count) elements, the model has \(parameterCount) parameters")
            }
            var packed: [Float] = []
            packed.reserveCapacity(plan.ownedCount)
            for s in plan.buckets { packed.append(contentsOf: b[s.owned]) }
            buffers[name] = packed
        }
        return OptimizerState(kind: full.kind, stepCount: full.stepCount, buffers: buffers)
    }

    /// The full optimiser state, as an unsharded optimiser would hold it: each rank's slices
    /// placed and allgathered bucket by bucket. Collective.
    func gatheredOptimizerState() throws -> OptimizerState {
        let own = optimizer.exportState()
        guard let plan = shardPlan else { return own }
        var buffers: [String: [Float]] = [:]
        for name in own.buffers.keys.sorted() {  // the same order on every rank: the collectives match
            let packed = own.buffers[name]!
            var full = [Float](repeating: 0, count: parameterCount)
            try full.withUnsafeMutableBufferPointer { f in
                for (k, s) in plan.buckets.enumerated() {
                    for i in 0 ..< s.owned.count { f[s.owned.lowerBound + i] = packed[s.stateOffset + i] }
                    let r = bucketPlan.buckets[k].range
                    try shardCommunicator.allgather(inPlace: UnsafeMutableBufferPointer(rebasing: f[r]), blocks: shardBlocks[k])
                }
            }
            buffers[name] = full
        }
        return OptimizerState(kind: own.kind, stepCount: own.stepCount, buffers: buffers)
    }
}
