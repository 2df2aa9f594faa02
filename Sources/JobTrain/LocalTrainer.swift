import JobKit
import Learning
import Parallel

/// One optimiser step's reduced figures.
struct StepFigures {
    /// Global-batch mean loss.
    var loss: Double
    /// Correct decisions in the global batch (0 for regression).
    var correct: Double
    /// Global gradient norm before clipping.
    var gradNorm: Double
    /// Learning rate the step used.
    var learningRate: Double
    /// False when the loss or the gradient was NaN/Inf: the parameters were then left as they were.
    var finite: Bool
}

/// PLACEHOLDER for the Training module's data-parallel trainer (bucketed non-blocking allreduce
/// overlapping backward), kept deliberately plain so `train` runs now:
///
/// - parameters broadcast from rank 0 at the start, and a checksum agreed by all ranks;
/// - global batch `b` of epoch `e` is `order[b·B ..< (b+1)·B]` of the permutation keyed by
///   (train.seed, e) (``EpochShuffle``), each rank taking its contiguous share
///   (``BatchSharding``), so the batches do not depend on the rank count;
/// - the loss is a mean over the GLOBAL batch, so the sum over ranks of the local gradients is
///   the full-batch gradient: one blocking allreduce (sum) of the flat gradient buffer after
///   backward; then clipping by global norm and the optimiser step, identical on every rank.
///
/// Buffers are allocated once here; a step allocates nothing except the permutation at the start
/// of each epoch.
final class LocalTrainer {
    let model: Sequential
    let loss: LossEvaluator
    let train: any SampleSource
    let test: (any SampleSource)?
    let communicator: Communicator
    let globalBatch: Int
    let seed: UInt64
    let clipNorm: Float
    let stepsPerEpoch: Int
    let localBatch: Int
    // Batch buffers (internal: the Bayes comparison reuses them).
    var indices: [Int]
    var inputs: [Float]
    var targets: [Float]
    var labels: [Int32]
    private var order: [Int] = []
    private var orderEpoch = -1
    private var reduced = [Double](repeating: 0, count: 2)

    init(model: Sequential, loss: LossEvaluator, train: any SampleSource, test: (any SampleSource)?,
         communicator: Communicator, globalBatch: Int, seed: UInt64, clipNorm: Double) {
        self.model = model
        self.loss = loss
        self.train = train
        self.test = test
        self.communicator = communicator
        self.globalBatch = globalBatch
        self.seed = seed
        self.clipNorm = Float(clipNorm)
        localBatch = model.batch
        stepsPerEpoch = TrainPlan.stepsPerEpoch(samples: train.count, batch: globalBatch)
        indices = [Int](repeating: 0, count: localBatch)
        inputs = [Float](repeating: 0, count: localBatch * model.inputFeatures)
        let targetWidth: Int
        switch train.targetKind {
        case .values(let w): targetWidth = w
        case .classes: targetWidth = 0
        }
        targets = [Float](repeating: 0, count: localBatch * targetWidth)
        labels = [Int32](repeating: 0, count: localBatch)
    }

    private var hasLabels: Bool { if case .classes = train.targetKind { return true } else { return false } }

    /// Makes every rank hold rank 0's parameters, then checks that they do. Collective.
    func broadcastParameters() throws {
        if communicator.size > 1 { try communicator.broadcast(&model.store.values) }
        try checkSameModel()
    }

    /// FNV-1a (64-bit) of the parameters' bit patterns.
    var parameterChecksum: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in model.store.values {
            h ^= UInt64(v.bitPattern)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// Throws unless every rank holds bit-identical parameters (the checksum's minimum and
    /// maximum over ranks agree). Collective.
    func checkSameModel() throws {
        guard communicator.size > 1 else { return }
        // One max-reduction of (h, ~h) gives the largest and the smallest checksum on every rank,
        // so all ranks reach the same verdict.
        let mine = Int(bitPattern: UInt(parameterChecksum))
        var extremes = [mine, ~mine]
        try communicator.allreduce(inPlace: &extremes, .max)
        guard extremes[0] == ~extremes[1] else {
            throw RunError("the ranks hold different parameters after the broadcast (checksums differ); this is a bug in Cascade or a faulty node: rerun, and report it if it persists")
        }
    }

    /// Loads `rows` samples `indices[0 ..< rows]` of `source` into the batch buffers.
    func load(_ source: any SampleSource, rows: Int) throws {
        let labelled = hasLabels
        try indices.withUnsafeBufferPointer { idx in
            try inputs.withUnsafeMutableBufferPointer { x in
                try targets.withUnsafeMutableBufferPointer { t in
                    try labels.withUnsafeMutableBufferPointer { l in
                        try source.load(indices: UnsafeBufferPointer(rebasing: idx[0 ..< rows]), inputs: x.baseAddress!,
                                        targets: labelled ? nil : t.baseAddress, labels: labelled ? l.baseAddress : nil)
                    }
                }
            }
        }
    }

    /// Forward and loss on the loaded rows (a share of a batch of `globalBatch`); returns
    /// (Σ ℓ / globalBatch, correct decisions).
    private func forwardLoss(rows: Int, globalBatch n: Int) -> (Double, Double) {
        let out = inputs.withUnsafeBufferPointer { model.forward($0, rows: rows) }
        let value = targets.withUnsafeBufferPointer { t in
            labels.withUnsafeBufferPointer { l in
                loss.evaluate(out, targets: t.baseAddress, labels: l.baseAddress, rows: rows, globalBatch: n)
            }
        }
        let correct = labels.withUnsafeBufferPointer { l in loss.correct(out, labels: hasLabels ? l.baseAddress : nil, rows: rows) }
        return (Double(value), Double(correct))
    }

    /// Optimiser step number `step` (0-based): its global batch, forward, backward, gradient
    /// allreduce, clipping and update. Collective.
    func step(_ step: Int, optimizer: inout any Optimizer) throws -> StepFigures {
        let epoch = step / stepsPerEpoch, batch = step % stepsPerEpoch
        if epoch != orderEpoch {
            order = EpochShuffle(count: train.count, seed: seed).permutation(epoch: epoch)
            orderEpoch = epoch
        }
        let share = BatchSharding.rankShare(of: order, batch: batch, batchSize: globalBatch,
                                            rank: communicator.rank, ranks: communicator.size)
        let rows = share.count
        for (i, index) in share.enumerated() { indices[i] = index }
        model.store.zeroGradients()
        var figures = (0.0, 0.0)
        if rows > 0 {
            try load(train, rows: rows)
            figures = forwardLoss(rows: rows, globalBatch: globalBatch)
            model.backward(loss.gradient, rows: rows)
        }
        if communicator.size > 1 {
            try communicator.allreduce(inPlace: &model.store.gradients, .sum)
            reduced[0] = figures.0
            reduced[1] = figures.1
            try communicator.allreduce(inPlace: &reduced, .sum)
            figures = (reduced[0], reduced[1])
        }
        let lr = Double(optimizer.currentLearningRate)
        let norm: Double = model.store.gradients.withUnsafeMutableBufferPointer { g in
            clipNorm > 0 ? Double(GradientClipping.byGlobalNorm(g, maxNorm: clipNorm)) : GradientClipping.norm(UnsafeBufferPointer(g))
        }
        let finite = figures.0.isFinite && norm.isFinite
        if finite {
            model.store.values.withUnsafeMutableBufferPointer { v in
                model.store.gradients.withUnsafeBufferPointer { g in optimizer.step(parameters: v, gradients: g) }
            }
        }
        return StepFigures(loss: figures.0, correct: figures.1, gradNorm: norm, learningRate: lr, finite: finite)
    }

    /// Mean loss and accuracy (NaN for regression) over the held-out samples, each rank taking a
    /// contiguous share in chunks of its batch. Collective.
    func evaluate() throws -> (loss: Double, accuracy: Double)? {
        guard let test else { return nil }
        let share = BatchSharding.shareRange(rank: communicator.rank, ranks: communicator.size, count: test.count)
        var sum = 0.0, correct = 0.0
        var start = share.lowerBound
        while start < share.upperBound {
            let rows = min(localBatch, share.upperBound - start)
            for i in 0 ..< rows { indices[i] = start + i }
            try load(test, rows: rows)
            let (l, c) = forwardLoss(rows: rows, globalBatch: test.count)
            sum += l
            correct += c
            start += rows
        }
        var totals = [sum, correct]
        if communicator.size > 1 { try communicator.allreduce(inPlace: &totals, .sum) }
        return (totals[0], loss.loss.isClassification ? totals[1] / Double(test.count) : .nan)
    }
}
