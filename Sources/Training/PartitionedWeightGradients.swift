import Learning

/// Dense weight gradients computed once per node rather than summed over its ranks
/// (`TrainingConfiguration.partitionWeightGradients`, with `NodeSharedReduction`).
///
/// Summing L partial gradients costs a pass over L gradient buffers per step, and each partial
/// dW = dyᵀ·x is an SGEMM with K = the rank's share of the batch, which runs below the rate of one
/// with the whole batch (on the 2-core machine a half batch costs 57% of a full one). Instead every
/// rank's backward computes only dL/dx and copies its rows of x and dy into node-wide staging rows in
/// the shared window (`Dense.weightGradientStaging`); after the node's ranks synchronise, each rank
/// computes the gradient elements it owns (its `GradientShardPlan` slices) over the node's whole
/// batch (`Dense.weightGradient`), writing them into its own gradient buffer. The rest of the
/// shared reduction (the allreduce of the slices between nodes, the norm, clipping, the optimiser
/// step on the slices) is unchanged, and no gradient buffer needs clearing.
///
/// Applies when every layer of the model that has parameters is a `Dense` (MLPs); models with other
/// parameterised layers keep the summed path.
final class PartitionedWeightGradients {
    struct Entry {
        let dense: Dense
        /// The layer's element range in the store (weight, then bias).
        let range: Range<Int>
        let inputs: UnsafeMutablePointer<Float>
        let outputGradients: UnsafeMutablePointer<Float>
    }
    let entries: [Entry]
    /// World ranks of the node's ranks, in local rank order.
    let members: [Int]
    let localRank: Int
    let worldSize: Int
    /// Rows of the node's batch in the current step.
    private(set) var rows = 0

    /// The model's parameterised layers with their ranges, when every one is a `Dense`; nil otherwise.
    static func denseLayers(of model: Sequential) -> [(Dense, Range<Int>)]? {
        var found: [(Dense, Range<Int>)] = []
        for (layer, range) in zip(model.layers, model.parameterRanges) where !range.isEmpty {
            guard let dense = layer as? Dense, dense.weight.offset == range.lowerBound,
                  dense.bias.range.upperBound == range.upperBound else { return nil }
            found.append((dense, range))
        }
        return found.isEmpty ? nil : found
    }

    /// Floats of staging for `layers` and `capacity` rows (x and dy of every layer), nil on overflow.
    static func stagingFloats(_ layers: [(Dense, Range<Int>)], capacity: Int) -> Int? {
        var total = 0
        for (d, _) in layers {
            let (perRow, o1) = d.inputs.addingReportingOverflow(d.outputs)
            let (n, o2) = perRow.multipliedReportingOverflow(by: capacity)
            let (sum, o3) = total.addingReportingOverflow(n)
            if o1 || o2 || o3 { return nil }
            total = sum
        }
        return total
    }

    /// Staging for `layers` at `base` (`stagingFloats` floats, 64-byte aligned, shared by the node).
    init(layers: [(Dense, Range<Int>)], base: UnsafeMutablePointer<Float>, capacity: Int, members: [Int], localRank: Int, worldSize: Int) {
        var p = base
        var entries: [Entry] = []
        for (d, range) in layers {
            let x = p
            p += d.inputs * capacity
            entries.append(Entry(dense: d, range: range, inputs: x, outputGradients: p))
            p += d.outputs * capacity
        }
        self.entries = entries
        self.members = members
        self.localRank = localRank
        self.worldSize = worldSize
    }

    /// Points every layer's backward at the staging rows of this rank's share of a global batch of
    /// `globalRows` (the node's ranks' shares one after the other, in local rank order).
    func begin(globalRows: Int) {
        var offset = 0, total = 0
        for (i, r) in members.enumerated() {
            let n = BatchSharding.shareRange(rank: r, ranks: worldSize, count: globalRows).count
            if i < localRank { offset += n }
            total += n
        }
        rows = total
        for e in entries {
            e.dense.weightGradientStaging = WeightGradientStaging(inputs: e.inputs, outputGradients: e.outputGradients, rowOffset: offset)
        }
    }

    /// Restores the layers' ordinary backward (gradients added into the store).
    func end() {
        for e in entries { e.dense.weightGradientStaging = nil }
    }

    /// Writes the node's gradient elements `part` (store indices) into `gradients` at the same
    /// indices, over the staged rows of the last `begin`. Every element of `part` belongs to a layer.
    func compute(_ part: Range<Int>, into gradients: UnsafeMutablePointer<Float>) {
        for e in entries where e.range.overlaps(part) {
            e.dense.weightGradient(elements: e.range.clamped(to: part), rows: rows,
                                   staging: WeightGradientStaging(inputs: e.inputs, outputGradients: e.outputGradients, rowOffset: 0),
                                   into: gradients)
        }
    }
}
