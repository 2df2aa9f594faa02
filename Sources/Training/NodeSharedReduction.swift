import Foundation
import Learning
import Parallel

/// Gradient reduction through a node's shared memory (`TrainingConfiguration.sharedMemory`).
///
/// Message passing between ranks of ONE node copies every byte through MPI's shared-memory
/// transport: Open MPI's allreduce of the 84 MB gradient of bench/train's MLP took 0.05 s per step
/// on the 2-core machine, a third of the step's backward, with no core left over to hide it
/// behind. Here the copies vanish:
///
/// - An MPI-3 shared-memory window (`SharedMemoryWindow`) on the node's communicator holds ONE
///   parameter buffer for the whole node and one gradient buffer per rank; every rank's
///   `ParameterStore` points into it (`useExternalStorage`).
/// - After backward every rank synchronises, then sums its own slice (1/L of every bucket,
///   `GradientShardPlan` over the node's L ranks) of all L gradient buffers, in rank order, into
///   its own buffer's slice; with several nodes that slice is then allreduced (MPI) with the same
///   slice of every other node (the `crossNode` communicator: the ranks with the same local index);
///   then the rank updates its slice of the shared parameters with optimiser state for its slices
///   alone, and everyone synchronises again. On one node nothing is sent at all.
/// - Every rank reads every parameter it uses straight from the shared buffer, so the replicas are
///   the same memory, and a node holds one model instead of L.
///
/// Used when at least two ranks share a node and every node (group) has the same number of ranks;
/// `make` returns nil otherwise (the trainer then uses its allreduce path).
final class NodeSharedReduction {
    /// The ranks sharing the memory.
    let node: Communicator
    /// The ranks with this rank's local index on the other nodes; nil with one node.
    let crossNode: Communicator?
    /// This node's slices of every bucket, over the node's ranks.
    let plan: GradientShardPlan
    /// Per bucket, the node's rank blocks (for gathering optimiser state).
    let blocks: [BlockCounts]
    let window: SharedMemoryWindow
    /// The node's one parameter buffer.
    let values: UnsafeMutablePointer<Float>
    /// Each local rank's gradient buffer, in local rank order.
    let gradients: [UnsafeMutablePointer<Float>]
    let sources: UnsafeMutableBufferPointer<UnsafePointer<Float>>
    let clearedSources: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>
    /// One chunk's summed gradient (fused path: summed, normed and applied while in L2).
    let scratch: UnsafeMutablePointer<Float>
    /// Whether the last reduction left every gradient buffer of the node zero (the fused path
    /// clears what it reads), so the next backward needs no `zeroGradients()`.
    var gradientsCleared = false
    /// Dense weight gradients computed per owned slice over the node's batch instead of summed
    /// (`PartitionedWeightGradients`); nil when the model has other parameterised layers or it is off.
    let partition: PartitionedWeightGradients?
    let count: Int
    /// Elements per pass of sum, norm and update: small enough to stay in L2 between them.
    static let chunk = 32 * 1024

    private init(node: Communicator, crossNode: Communicator?, plan: GradientShardPlan, count: Int,
                 partitioned: (layers: [(Dense, Range<Int>)], floats: Int, capacity: Int, members: [Int], worldSize: Int)?) throws {
        self.node = node
        self.crossNode = crossNode
        self.plan = plan
        self.count = count
        blocks = try plan.buckets.map { try BlockCounts($0.counts) }
        // Local rank 0's segment holds the parameters and its gradients, the others' their gradients.
        // Open MPI packs the segments one after the other from a base that need not be aligned, so
        // each buffer gets a cache line of slack and starts on the next 64-byte boundary.
        let part = Self.bufferBytes(count)
        let staging = partitioned.map { Self.bufferBytes($0.floats) } ?? 0
        let w = try SharedMemoryWindow(bytes: node.rank == 0 ? 2 * part + staging : part, communicator: node)
        window = w
        func aligned(_ p: UnsafeMutableRawPointer) -> UnsafeMutablePointer<Float> {
            let a = (Int(bitPattern: p) + 63) / 64 * 64
            return UnsafeMutableRawPointer(bitPattern: a)!.bindMemory(to: Float.self, capacity: count)
        }
        let root = w.segments[0].baseAddress!
        values = aligned(root)
        gradients = (0 ..< node.size).map { aligned($0 == 0 ? root + part : w.segments[$0].baseAddress!) }
        partition = partitioned.map {
            PartitionedWeightGradients(layers: $0.layers, base: aligned(root + 2 * part), capacity: $0.capacity,
                                       members: $0.members, localRank: node.rank, worldSize: $0.worldSize)
        }
        sources = .allocate(capacity: node.size)
        clearedSources = .allocate(capacity: node.size)
        for (i, g) in gradients.enumerated() { sources[i] = UnsafePointer(g) }
        scratch = UnsafeMutableRawPointer.allocate(byteCount: Self.chunk * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: Self.chunk)
    }

    deinit {
        sources.deallocate()
        clearedSources.deallocate()
        scratch.deallocate()
    }

    /// Bytes of one buffer of `count` floats in the window, with a cache line of slack for alignment.
    static func bufferBytes(_ count: Int) -> Int { count * MemoryLayout<Float>.stride / 64 * 64 + 128 }

    /// Where Open MPI puts the window's backing file (its `osc_sm_backing_directory`, /dev/shm by default).
    static var backingDirectory: String {
        ProcessInfo.processInfo.environment["OMPI_MCA_osc_sm_backing_directory"] ?? "/dev/shm"
    }

    /// Free bytes in `directory`'s file system, nil if it cannot be asked.
    static func freeBytes(_ directory: String) -> Int? {
        var s = statvfs()
        guard statvfs(directory, &s) == 0 else { return nil }
        let (bytes, overflow) = Int(s.f_bavail).multipliedReportingOverflow(by: Int(s.f_frsize))
        return overflow ? Int.max : bytes
    }

    /// The shared reduction for `world`'s ranks and what it does, or nil and why not when it does not apply: fewer than two
    /// ranks per node, nodes with different rank counts, or too little room for the window in the
    /// backing file system (a container's 64 MB /dev/shm: pages past its end would crash the ranks
    /// with SIGBUS when first touched, so it is checked before). Collective over `world`.
    ///
    /// `denseLayers` (from `PartitionedWeightGradients.denseLayers`, nil to sum the gradients) asks for
    /// weight gradients computed per owned slice, with staging for `localCapacity` rows per rank.
    static func make(world: Communicator, bucketPlan: GradientBucketPlan, parameterCount: Int,
                     groupSize: Int?, denseLayers: [(Dense, Range<Int>)]? = nil,
                     localCapacity: Int = 0) throws -> (NodeSharedReduction?, String) {
        let node: Communicator
        if let groupSize {
            guard groupSize >= 1 else {
                throw TrainingError.invalid(key: "sharedMemoryGroupSize", message: "must be at least 1, got \(groupSize)")
            }
            node = try world.split(color: world.rank / groupSize)
        } else {
            node = try world.splitSharedMemory()
        }
        let sizes = try world.allreduce([node.size, -node.size], .min)
        guard sizes[0] >= 2 else {
            return (nil, "a node holds \(sizes[0]) rank: nothing to share")
        }
        guard sizes[0] == -sizes[1] else {
            return (nil, "nodes hold \(sizes[0]) to \(-sizes[1]) ranks (shared-memory slices need the same count on "
                + "every node)")
        }
        // Room for the window: parameters once and every rank's gradients, on every node (the same
        // decision everywhere: one allreduce of the node leaders' verdicts), and the staging of the
        // node's batch when weight gradients are partitioned (x and dy of every layer); without room for
        // the staging the gradients are summed instead.
        let (need, overflow) = (node.size + 1).multipliedReportingOverflow(by: bufferBytes(parameterCount))
        var needStaged = Int.max
        if let layers = denseLayers, !node.size.multipliedReportingOverflow(by: localCapacity).overflow,
           let f = PartitionedWeightGradients.stagingFloats(layers, capacity: node.size * localCapacity),
           !f.multipliedReportingOverflow(by: 8).overflow {
            let (sum, o) = need.addingReportingOverflow(bufferBytes(f))
            if !o && !overflow { needStaged = sum }
        }
        let free = node.rank == 0 ? freeBytes(backingDirectory) ?? Int.max : Int.max
        let worst = try world.allreduce([free >= need && !overflow ? 1 : 0, free >= needStaged ? 1 : 0, node.rank == 0 ? free : Int.max], .min)
        func size(_ b: Int) -> String { b < 10_000_000 ? String(format: "%.1f kB", Double(b) / 1e3) : String(format: "%.0f MB", Double(b) / 1e6) }
        guard worst[0] == 1 else {
            return (nil, "\(backingDirectory) has \(size(worst[2])) free, the window needs \(size(need)) per node "
                + "(enlarge it, e.g. docker run --shm-size, or set OMPI_MCA_osc_sm_backing_directory)")
        }
        let staged = denseLayers != nil && worst[1] == 1
        let stagingFloats = staged ? PartitionedWeightGradients.stagingFloats(denseLayers!, capacity: node.size * localCapacity) : nil
        let noRoom = denseLayers != nil && !staged
            ? " (not the Dense weight gradients over the node's batch: \(backingDirectory) has \(size(worst[2])) free, their staging needs "
                + (needStaged == Int.max ? "more than Int.max bytes" : "\(size(needStaged)) in all") + ")" : ""
        let nodes = world.size / node.size
        let cross = nodes > 1 ? try world.split(color: node.rank) : nil
        let plan = GradientShardPlan(plan: bucketPlan, rank: node.rank, ranks: node.size)
        var partitioned: (layers: [(Dense, Range<Int>)], floats: Int, capacity: Int, members: [Int], worldSize: Int)?
        if let denseLayers, let stagingFloats {
            var members = [Int](repeating: 0, count: node.size)
            members[node.rank] = world.rank
            try node.allreduce(inPlace: &members, .sum)
            partitioned = (denseLayers, stagingFloats, node.size * localCapacity, members, world.size)
        }
        let reduction = try NodeSharedReduction(node: node, crossNode: cross, plan: plan, count: parameterCount, partitioned: partitioned)
        return (reduction, (partitioned != nil
                ? "Dense weight gradients computed once per node in shared memory, each of \(node.size) ranks its slices over the node's batch"
                : "gradients summed in shared memory by \(node.size) ranks per node\(noRoom)")
            + (nodes > 1 ? ", slices allreduced over \(nodes) nodes" : ""))
    }

    /// Moves `store` into the window: local rank 0 copies its parameters into the shared buffer, every
    /// rank's gradients go to its own buffer. Collective over the node. Call it once the replicas agree.
    func attach(_ store: ParameterStore) throws {
        precondition(store.count == count, "NodeSharedReduction: the store has \(store.count) parameters, not \(count)")
        store.useExternalStorage(values: values, gradients: gradients[node.rank], copyValues: node.rank == 0)
        try window.synchronize()
    }

    /// Copies the store back into its own arrays and frees the window. Collective over the node.
    func detach(_ store: ParameterStore) throws {
        try window.synchronize()
        store.useOwnStorage()
        try window.free()
    }

    /// Element range `part` (global indices) of this rank's slices: the sum over the node's ranks of
    /// their gradients, written into this rank's gradient buffer and returned.
    func sumSlice(_ part: Range<Int>) -> UnsafeMutablePointer<Float> {
        let dst = gradients[node.rank] + part.lowerBound
        for i in 0 ..< node.size { sources[i] = UnsafePointer(gradients[i] + part.lowerBound) }
        GradientSum.sum(UnsafeBufferPointer(sources), into: dst, count: part.count)
        return dst
    }

    /// Element range `part` of this rank's slices computed over the node's staged batch
    /// (`PartitionedWeightGradients`), written into this rank's gradient buffer and returned.
    func computeSlice(_ part: Range<Int>) -> UnsafeMutablePointer<Float> {
        guard let partition else { preconditionFailure("NodeSharedReduction.computeSlice without a partition") }
        partition.compute(part, into: gradients[node.rank])
        return gradients[node.rank] + part.lowerBound
    }

    /// As `sumSlice` for a part of at most `chunk` elements, into `scratch`, clearing the part in every
    /// rank's gradient buffer as it is read (one pass; the buffers are then ready for the next backward).
    func sumChunkClearing(_ part: Range<Int>) -> UnsafeMutablePointer<Float> {
        precondition(part.count <= Self.chunk, "NodeSharedReduction: chunk of \(part.count) elements")
        for i in 0 ..< node.size { clearedSources[i] = gradients[i] + part.lowerBound }
        GradientSum.sumClearing(UnsafeBufferPointer(clearedSources), into: scratch, count: part.count)
        return scratch
    }
}

extension DataParallelTrainer {
    /// Steps 3–4 with the node's shared memory (`NodeSharedReduction`): synchronise, sum this rank's
    /// slices (and allreduce them across nodes), update them, synchronise. Returns the summed
    /// gradient's norm (before clipping). Skips the updates (not the synchronisations) when the loss is
    /// not finite; a non-finite gradient may leave some slices updated (restore the last checkpoint).
    func updateShared(_ shared: NodeSharedReduction, lossIsFinite: Bool) throws -> Double {
        let t0 = Self.now()
        var summing = 0.0, optimizing = 0.0, computing = 0.0
        try shared.window.synchronize()
        var waiting = Self.now() - t0
        var squares = 0.0
        // One node, no clipping: sum (or, partitioned, read), norm and update each L2-sized chunk in one go.
        let partitioned = shared.partition != nil
        let fused = shared.crossNode == nil && configuration.clipNorm == nil
        let own = shared.gradients[shared.node.rank]
        for s in shared.plan.buckets where !s.owned.isEmpty {
            if partitioned {
                // The slice's weight gradients first, in whole-slice SGEMMs (chunks would make them small).
                let ts = Self.now()
                _ = shared.computeSlice(s.owned)
                computing += Self.now() - ts
            }
            var offset = 0
            while offset < s.owned.count {
                let n = fused ? min(NodeSharedReduction.chunk, s.owned.count - offset) : s.owned.count
                let part = s.owned.lowerBound + offset ..< s.owned.lowerBound + offset + n
                let ts = Self.now()
                let g = partitioned ? own + part.lowerBound : fused ? shared.sumChunkClearing(part) : shared.sumSlice(part)
                if let cross = shared.crossNode {
                    try cross.allreduce(inPlace: UnsafeMutableBufferPointer(start: g, count: n), .sum)
                }
                let sq = GradientClipping.sumOfSquares(UnsafeBufferPointer(start: g, count: n))
                squares += sq
                let tu = Self.now()
                summing += tu - ts
                if fused && lossIsFinite && sq.isFinite {
                    optimizer.step(slice: shared.values + part.lowerBound, gradients: UnsafePointer(g), count: n,
                                   stateOffset: s.stateOffset + offset)
                    optimizing += Self.now() - tu
                }
                offset += n
            }
        }
        let norm = try sharedNorm(squares, shared)
        let healthy = lossIsFinite && norm.isFinite
        if !fused && healthy {
            let tu = Self.now()
            for s in shared.plan.buckets where !s.owned.isEmpty {
                let g = shared.gradients[shared.node.rank] + s.owned.lowerBound
                if let clip = configuration.clipNorm {
                    GradientClipping.byGlobalNorm(UnsafeMutableBufferPointer(start: g, count: s.owned.count), maxNorm: clip, globalNorm: norm)
                }
                optimizer.step(slice: shared.values + s.owned.lowerBound, gradients: UnsafePointer(g), count: s.owned.count,
                               stateOffset: s.stateOffset)
            }
            optimizing += Self.now() - tu
        }
        // Partitioned: backward added nothing into the gradient buffers, so none needs clearing.
        shared.gradientsCleared = fused || partitioned
        let tw = Self.now()
        try shared.window.synchronize()
        waiting += Self.now() - tw
        if healthy { optimizer.completeStep() }
        overlap.optimizerSeconds += optimizing
        overlap.synchronizationSeconds += waiting
        overlap.summationSeconds += summing
        // The partitioned weight-gradient SGEMMs are backward's work done late, not communication.
        overlap.backwardSeconds += computing
        sharedCommunicationSeconds = Self.now() - t0 - optimizing - computing
        return norm
    }

    /// √(Σ over the node's ranks of their slices' sums of squares): the whole gradient's norm (with
    /// several nodes every node holds the same reduced slices). The same on every rank.
    private func sharedNorm(_ localSquares: Double, _ shared: NodeSharedReduction) throws -> Double {
        scalars[3] = localSquares
        try shared.node.allreduce(inPlace: UnsafeMutableBufferPointer(start: scalars + 3, count: 1), .sum)
        return scalars[3].squareRoot()
    }
}
