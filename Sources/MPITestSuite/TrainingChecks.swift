import Foundation
import CounterRNG
import Learning
import Parallel
import Training

/// A small synthetic classification or regression set drawn from counter-based streams keyed by
/// the global sample index: the same sample whatever the rank count or the order of requests.
/// Inputs are standard normals shifted by the class mean (classes), or standard normals with a
/// fixed nonlinear target (values).
final class SyntheticSamples: SampleSource {
    let count: Int
    let inputShape: TensorShape
    let targetKind: TargetKind
    let seed: UInt64
    /// Samples whose first input is replaced by NaN (to provoke a non-finite loss).
    var poisoned: Set<Int> = []
    /// Samples whose loading throws (an I/O error on the rank that reads them).
    var unreadable: Set<Int> = []

    struct Unreadable: Error {}

    init(count: Int, features: Int, kind: TargetKind, seed: UInt64) {
        self.count = count
        inputShape = .vector(features)
        targetKind = kind
        self.seed = seed
    }

    /// Samples of any per-sample shape (an NHWC image, say); the class shift falls on every
    /// element whose flat index is the label modulo the class count.
    init(count: Int, shape: TensorShape, kind: TargetKind, seed: UInt64) {
        self.count = count
        inputShape = shape
        targetKind = kind
        self.seed = seed
    }

    func load(indices: UnsafeBufferPointer<Int>, inputs: UnsafeMutablePointer<Float>,
              targets: UnsafeMutablePointer<Float>?, labels: UnsafeMutablePointer<Int32>?) throws {
        let f = inputShape.elements
        let noise = CounterRNG(seed: seed, stream: 1), pick = CounterRNG(seed: seed, stream: 2)
        if indices.contains(where: unreadable.contains) { throw Unreadable() }
        for (r, i) in indices.enumerated() {
            let x = inputs + r * f
            for j in 0 ..< f { x[j] = Float(noise.normal(at: UInt64(i * f + j))) }
            switch targetKind {
            case let .classes(n):
                let label = Int(pick.uniform(at: UInt64(i)) * Double(n)) % n
                labels![r] = Int32(label)
                for j in 0 ..< f where j % n == label { x[j] += 1.5 }
            case let .values(w):
                for k in 0 ..< w { targets![r * w + k] = tanhf(x[k % f] * 1.3) + 0.5 * x[(k + 1) % f] }
            }
            if poisoned.contains(i) { x[0] = .nan }
        }
    }
}

/// Identity on its input with one parameter whose gradient becomes NaN while `poison` is set (a
/// gradient that is not finite although the loss is).
final class GradientPoison: Layer {
    var poison = false
    private var view: ParameterView?
    private var store: ParameterStore?
    private(set) var outputShape = TensorShape.vector(1)
    var summary: String { "GradientPoison" }

    func build(input: TensorShape, context: BuildContext) throws -> TensorShape {
        view = context.register("poison", shape: [1])
        store = context.store
        outputShape = input
        return input
    }
    func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> { x }
    func backward(_ dy: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        if poison, let view { store!.gradients.withUnsafeMutableBufferPointer { $0[view.offset] = .nan } }
        return dy
    }
}

/// An MLP 12 → 32 → GELU → 24 → Tanh → classes, built for `rows` per rank.
func checkModel(rows: Int, seed: UInt64 = 5, outputs: Int = 4) throws -> Sequential {
    try Sequential(inputFeatures: 12, batch: rows, seed: seed, [
        Dense(outputs: 32), GELU(), Dense(outputs: 24), Tanh(), Dense(outputs: outputs),
    ])
}

/// A trainer with Adam on the synthetic classes (bucket cap small so the model has several buckets).
func checkTrainer(_ comm: Communicator, globalBatch: Int, seed: UInt64 = 5, overlap: Bool = true, blocking: Bool = true,
                  clip: Float? = nil, source: SyntheticSamples? = nil, shard: Bool = false,
                  bucketBytes: Int = 1024, shared: Bool = false, group: Int? = nil, partition: Bool = true) throws -> DataParallelTrainer {
    let rows = DataParallelTrainer.localCapacity(globalBatch: globalBatch, ranks: comm.size)
    let model = try checkModel(rows: rows, seed: seed)
    let data = source ?? SyntheticSamples(count: 150, features: 12, kind: .classes(4), seed: 77)
    let held = SyntheticSamples(count: 61, features: 12, kind: .classes(4), seed: 78)
    return try DataParallelTrainer(
        model: model, loss: SoftmaxCrossEntropy(classes: 4, batch: rows),
        optimizer: Adam(parameterCount: model.store.count), schedule: .linearWarmup(3e-2, steps: 5),
        training: data, evaluation: held,
        configuration: TrainingConfiguration(globalBatch: globalBatch, seed: 11, bucketBytes: bucketBytes, clipNorm: clip,
                                             dropLast: false, overlapOnWorkerThread: overlap,
                                             blockingReductions: blocking, shardOptimizer: shard,
                                             sharedMemory: shared, sharedMemoryGroupSize: group,
                                             partitionWeightGradients: partition),
        communicator: comm)
}

/// The same training on this rank alone (a communicator of one rank): the reference every rank
/// count must reproduce.
func soloTrainer(_ comm: Communicator, globalBatch: Int, clip: Float? = nil) throws -> DataParallelTrainer {
    try checkTrainer(try comm.split(color: comm.rank), globalBatch: globalBatch, clip: clip)
}

func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
    var num = 0.0, den = 0.0
    for (x, y) in zip(a, b) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
    return (num / max(den, 1e-300)).squareRoot()
}

/// A small periodic CNN on 8×8×2 images: conv 3×3 periodic (4 channels) → ReLU → conv 3×3
/// stride 2 periodic (6 channels) → ReLU → 2×2 average pool → dense to `classes` logits.
func checkConvModel(rows: Int, classes: Int = 3) throws -> Sequential {
    try Sequential(input: .image(height: 8, width: 8, channels: 2), batch: rows, seed: 9, [
        Conv2d(outputs: 4, kernel: 3, padding: .periodic), ReLU(),
        Conv2d(outputs: 6, kernel: 3, stride: 2, padding: .periodic), ReLU(),
        AvgPool2d(factor: 2), Dense(outputs: classes),
    ])
}

/// A trainer of `checkConvModel` with Adam on synthetic 3-class images.
func checkConvTrainer(_ comm: Communicator, globalBatch: Int, shard: Bool = false, shared: Bool = false) throws -> DataParallelTrainer {
    let rows = DataParallelTrainer.localCapacity(globalBatch: globalBatch, ranks: comm.size)
    let model = try checkConvModel(rows: rows)
    let data = SyntheticSamples(count: 90, shape: .image(height: 8, width: 8, channels: 2), kind: .classes(3), seed: 79)
    return try DataParallelTrainer(
        model: model, loss: SoftmaxCrossEntropy(classes: 3, batch: rows),
        optimizer: Adam(parameterCount: model.store.count), schedule: .constant(1e-2),
        training: data,
        configuration: TrainingConfiguration(globalBatch: globalBatch, seed: 13, bucketBytes: 512, dropLast: false,
                                             shardOptimizer: shard, sharedMemory: shared),
        communicator: comm)
}

let trainingChecks: [MPICheck] = [
    MPICheck("training.cnn-rank-count-independent-adam") { comm, t in
        // The same check as the MLP's below with convolutions (oneDNN, periodic padding, stride 2),
        // average pooling and a dense head: 20 Adam steps of global batch 12 (divides 1–4 ranks) and
        // 14 (remainders; 90 samples, so epochs end in partial batches), P ranks against one rank
        // training the whole batch alone. Tolerance 1e-5 relative in the parameters.
        // With the allreduce, with the sharded optimiser step (reduce-scatter, Adam on this rank's
        // slices, allgather) and with the node's shared memory (the default).
        for (batch, shard, shared) in [(12, false, false), (12, true, false), (12, false, true), (14, false, false), (14, true, false),
                                       (14, false, true)] {
            let multi = try checkConvTrainer(comm, globalBatch: batch, shard: shard, shared: shared)
            t.expect(multi.usesSharedMemory == (shared && comm.size > 1), "shared memory used exactly when asked on several ranks")
            let solo = try checkConvTrainer(try comm.split(color: comm.rank), globalBatch: batch)
            t.expect(multi.bucketPlan.buckets.count > 1, "the CNN's gradients span several buckets")
            var first: StepMetrics?, lastMulti: StepMetrics?, lastSolo: StepMetrics?
            for _ in 0 ..< 20 {
                lastMulti = try multi.trainStep()
                lastSolo = try solo.trainStep()
                if first == nil { first = lastMulti }
            }
            let d = relativeDifference(multi.model.store.values, solo.model.store.values)
            t.expect(d < 1e-5, "CNN batch \(batch) shard \(shard) shared \(shared): parameters differ from one rank by \(d)")
            t.expectClose(lastMulti!.loss, lastSolo!.loss, rel: 1e-5, "CNN batch \(batch): last loss")
            t.expect(lastMulti!.loss < first!.loss, "CNN batch \(batch): training reduced the loss from \(first!.loss) to \(lastMulti!.loss)")
            try multi.verifyReplicas()
            if batch == 12 && !shard && !shared { t.record("cnn-parameters", multi.model.store.values.map(Double.init), tolerance: 1e-5) }
        }
    },
    MPICheck("training.rank-count-independent-adam") { comm, t in
        // 20 Adam steps, global batch 24 (150 samples: the last batch of an epoch has 6, so epochs and a
        // partial batch are crossed); 26 leaves remainders to the first ranks; 37 ends each epoch with a
        // batch of 2, so on 3 and 4 ranks some ranks have no sample in it. Every rank also trains alone on the whole batch: same parameters.
        // Measured: relative differences ~1e-7 (float32 summation order); tolerance 1e-5.
        // Reductions: blocking on the MPI thread during a worker's backward, nonblocking polled, and
        // inline (backward on the MPI thread).
        // Each also with the sharded optimiser step; and the node's shared memory (backward inline,
        // slices summed and updated in place) for the three batches: with the Dense weight gradients
        // computed per slice over the node's batch (the default for this all-Dense model, where a rank
        // with no sample in a batch still computes its slices), and, for batch 24, summed.
        let modes = [(24, true, true), (26, true, true), (37, true, true), (24, true, false), (24, false, false)]
        let allreduceModes = modes.flatMap({ m in [false, true].map { (m.0, m.1, m.2, $0, false, true) } })
        let sharedModes = [24, 26, 37].map({ ($0, true, true, false, true, true) }) + [(24, true, true, false, true, false)]
        for (batch, overlap, blocking, shard, shared, partition) in allreduceModes + sharedModes {
            let multi = try checkTrainer(comm, globalBatch: batch, overlap: overlap, blocking: blocking, shard: shard, shared: shared,
                                         partition: partition)
            if shared && comm.size > 1 {
                t.expect(multi.reductionDescription.contains("computed once per node") == partition,
                         "partitioned weight gradients exactly when asked: \(multi.reductionDescription)")
            }
            let solo = try soloTrainer(comm, globalBatch: batch)
            var lastMulti: StepMetrics?, lastSolo: StepMetrics?
            for _ in 0 ..< 20 {
                lastMulti = try multi.trainStep()
                lastSolo = try solo.trainStep()
            }
            let d = relativeDifference(multi.model.store.values, solo.model.store.values)
            t.expect(d < 1e-5, "batch \(batch) overlap \(overlap) blocking \(blocking) shard \(shard) shared \(shared) partition \(partition): parameters differ from one rank by \(d)")
            t.expectClose(lastMulti!.loss, lastSolo!.loss, rel: 1e-5, "batch \(batch): last loss")
            t.expectClose(lastMulti!.gradientNorm, lastSolo!.gradientNorm, rel: 1e-4, "batch \(batch): gradient norm")
            t.expect(lastMulti!.accuracy == lastSolo!.accuracy, "batch \(batch): accuracy \(lastMulti!.accuracy!) vs \(lastSolo!.accuracy!)")
            t.expect(multi.step == 20 && multi.epoch == solo.epoch && multi.batchInEpoch == solo.batchInEpoch, "position")
            t.expect(lastMulti!.loss < 1.0, "batch \(batch): training reduced the loss to \(lastMulti!.loss)")
            if comm.size > 1 { t.expect(multi.overlap.communicationSeconds > 0, "communication was timed") }
            try multi.verifyReplicas()
            if batch == 24 && overlap && blocking && !shard && !shared {
                let e = try multi.evaluate()!, es = try solo.evaluate()!
                t.expectClose(e.loss, es.loss, rel: 1e-5, "evaluation loss")
                t.expect(e.samples == 61 && e.accuracy == es.accuracy, "evaluation accuracy \(e.accuracy!) vs \(es.accuracy!)")
                t.record("eval-loss", [e.loss], tolerance: 1e-5)
                t.record("parameters", multi.model.store.values.map(Double.init), tolerance: 1e-5)
            }
        }
    },
    MPICheck("training.clipping-rank-count-independent") { comm, t in
        // The sharded step clips by the norm from the per-shard sums of squares summed over ranks.
        for (shard, shared) in [(false, false), (true, false), (false, true)] {
            let multi = try checkTrainer(comm, globalBatch: 20, clip: 0.05, shard: shard, shared: shared)
            let solo = try soloTrainer(comm, globalBatch: 20, clip: 0.05)
            for _ in 0 ..< 10 {
                let m = try multi.trainStep()
                let s = try solo.trainStep()
                t.expect(m.gradientNorm > 0.05, "the clip is active (norm \(m.gradientNorm))")
                t.expectClose(m.gradientNorm, s.gradientNorm, rel: 1e-4, "shard \(shard) shared \(shared): gradient norm")
            }
            let d = relativeDifference(multi.model.store.values, solo.model.store.values)
            t.expect(d < 1e-5, "clipped, shard \(shard) shared \(shared): parameters differ from one rank by \(d)")
        }
    },
    MPICheck("training.sharded-step-matches-allreduce") { comm, t in
        // The sharded optimiser step against the allreduce on the SAME ranks, 20 Adam steps, without and
        // with clipping, with the usual buckets and with 16-byte buckets (every tensor its own bucket,
        // 4 to 768 floats: the 4-float bias is smaller than ranks × 16 floats, so some ranks own
        // nothing of it, and sizes the rank count does not divide). One rank does not shard.
        // The same for the node's shared memory (slices over the node's ranks).
        let cases = [(nil, 1024), (Float(0.05), 1024), (nil, 16), (Float(0.05), 16)] as [(Float?, Int)]
        for (clip, bytes, shared) in cases.map({ ($0.0, $0.1, false) }) + cases.map({ ($0.0, $0.1, true) }) {
            let sharded = try checkTrainer(comm, globalBatch: 24, clip: clip, shard: !shared, bucketBytes: bytes, shared: shared)
            let plain = try checkTrainer(comm, globalBatch: 24, clip: clip, bucketBytes: bytes)
            t.expect((sharded.shardPlan != nil) == (comm.size > 1), "sharded exactly when there are several ranks")
            t.expect(sharded.usesSharedMemory == (shared && comm.size > 1), "shared memory exactly when asked on several ranks")
            if let plan = sharded.shardPlan {
                let owned = try comm.allreduce(plan.ownedCount, .sum)
                t.expect(owned == sharded.model.store.count, "the ranks' slices cover the \(sharded.model.store.count) parameters once (\(owned))")
                t.expect(sharded.optimizer.parameterCount == plan.ownedCount, "optimiser state only for the owned slices")
                if bytes == 16 {
                    t.expect(plan.buckets.contains { $0.counts.contains(0) }, "a bucket smaller than ranks × 16 leaves a rank without a slice")
                }
            }
            var a: StepMetrics?, b: StepMetrics?
            for _ in 0 ..< 20 { a = try sharded.trainStep(); b = try plain.trainStep() }
            let d = relativeDifference(sharded.model.store.values, plain.model.store.values)
            t.expect(d < 1e-5, "clip \(String(describing: clip)) buckets \(bytes) B shared \(shared): sharded and allreduce parameters differ by \(d)")
            t.expectClose(a!.loss, b!.loss, rel: 1e-5, "last loss")
            t.expectClose(a!.gradientNorm, b!.gradientNorm, rel: 1e-4, "gradient norm")
            try sharded.verifyReplicas()
            // The checkpointed optimiser state is the full one, as the unsharded trainer's.
            let sa = try sharded.exportState().optimizer, sb = try plain.exportState().optimizer
            t.expect(sa.kind == sb.kind && sa.stepCount == sb.stepCount && sa.buffers.keys.sorted() == sb.buffers.keys.sorted(), "state layout")
            for name in sb.buffers.keys {
                let dm = relativeDifference(sa.buffers[name]!, sb.buffers[name]!)
                t.expect(dm < 1e-5, "optimiser buffer \(name): sharded and allreduce differ by \(dm)")
            }
        }
    },
    MPICheck("training.broadcast-makes-ranks-agree") { comm, t in
        // Every rank builds its model from a different seed; after the trainer starts, all hold rank 0's.
        let trainer = try checkTrainer(comm, globalBatch: 8, seed: 100 + UInt64(comm.rank))
        let rankZeroModel = try checkModel(rows: 8, seed: 100)
        t.expect(trainer.model.store.values == rankZeroModel.store.values, "parameters are rank 0's")
        if comm.size > 1 {
            // A rank whose copy drifts is caught, on every rank.
            if comm.rank == comm.size - 1 {
                trainer.model.store.withUnsafeMutableValues { $0[3] = $0[3].nextUp }
            }
            do {
                try trainer.verifyReplicas()
                t.expect(false, "a changed parameter on one rank must be detected")
            } catch let e as TrainingError {
                t.expect("\(e)".contains("checksums differ"), "error names the checksum: \(e)")
            }
            // Different layouts are refused before the broadcast.
            let rows = 8
            let odd = try Sequential(inputFeatures: 12, batch: rows, seed: 1,
                                     [Dense(outputs: comm.rank == 0 ? 9 : 10), Dense(outputs: 4)])
            do {
                _ = try DataParallelTrainer(model: odd, loss: SoftmaxCrossEntropy(classes: 4, batch: rows),
                                            optimizer: Adam(parameterCount: odd.store.count), schedule: .constant(1e-3),
                                            training: SyntheticSamples(count: 40, features: 12, kind: .classes(4), seed: 1),
                                            configuration: TrainingConfiguration(globalBatch: 8), communicator: comm)
                t.expect(false, "different models on different ranks must be refused")
            } catch let e as TrainingError {
                t.expect("\(e)".contains("parameter counts"), "error names the parameter counts: \(e)")
            }
        }
    },
    MPICheck("training.sharded-checkpoint-restore-is-bit-identical") { comm, t in
        // As below with the sharded step: the exported state is gathered, a restore keeps each rank's
        // slices; a state written without sharding resumes sharded the same way (and back).
        // Also with the node's shared memory (its slices are over the node's ranks), to and from it.
        enum Mode: String { case allreduce, sharded, shared }
        for (writer, reader) in [(Mode.sharded, Mode.sharded), (.allreduce, .sharded), (.sharded, .allreduce),
                                 (.shared, .shared), (.allreduce, .shared), (.shared, .sharded)] {
            func trainer(_ m: Mode, seed: UInt64 = 5) throws -> DataParallelTrainer {
                try checkTrainer(comm, globalBatch: 32, seed: seed, shard: m == .sharded, shared: m == .shared)
            }
            let straight = try trainer(reader)
            for _ in 0 ..< 12 { try straight.trainStep() }
            let first = try trainer(writer)
            for _ in 0 ..< 5 { try first.trainStep() }
            let data = try JSONEncoder().encode(try first.exportState())
            let state = try JSONDecoder().decode(TrainerState.self, from: data)
            let resumed = try trainer(reader, seed: 999)
            try resumed.restore(state)
            for _ in 0 ..< 7 { try resumed.trainStep() }
            let label = "written \(writer.rawValue), resumed \(reader.rawValue)"
            if writer == reader || comm.size == 1 {
                t.expect(resumed.model.store.values == straight.model.store.values, "\(label): parameters bit-identical after resume")
                let (ra, sa) = (try resumed.exportState().optimizer, try straight.exportState().optimizer)
                t.expect(ra == sa, "\(label): optimiser state bit-identical")
            } else {
                let d = relativeDifference(resumed.model.store.values, straight.model.store.values)
                t.expect(d < 1e-5, "\(label): parameters differ by \(d)")
            }
        }
    },
    MPICheck("training.checkpoint-restore-is-bit-identical") { comm, t in
        // 12 steps straight, against 5 steps, a state round trip through JSON into a NEW trainer (as a
        // job resumes), then 7 more: bit-identical parameters and optimiser state.
        let straight = try checkTrainer(comm, globalBatch: 32)
        for _ in 0 ..< 12 { try straight.trainStep() }
        let first = try checkTrainer(comm, globalBatch: 32)
        for _ in 0 ..< 5 { try first.trainStep() }
        let data = try JSONEncoder().encode(try first.exportState())
        let state = try JSONDecoder().decode(TrainerState.self, from: data)
        let resumed = try checkTrainer(comm, globalBatch: 32, seed: 999)  // other init: the state overrides it
        try resumed.restore(state)
        t.expect(resumed.step == 5 && resumed.epoch == 1 && resumed.batchInEpoch == 0, "position restored (150 samples = 5 batches)")
        for _ in 0 ..< 7 { try resumed.trainStep() }
        t.expect(resumed.model.store.values == straight.model.store.values, "parameters bit-identical after resume")
        t.expect(resumed.optimizer.exportState() == straight.optimizer.exportState(), "optimiser state bit-identical")
        // A state from another run is refused with the key named.
        var foreign = state
        foreign.globalBatch = 16
        do { try resumed.restore(foreign); t.expect(false, "a foreign batch must be refused") } catch let e as TrainingError {
            t.expect("\(e)".contains("train.batch"), "names train.batch: \(e)")
        }
    },
    MPICheck("training.non-finite-loss-stops-every-rank") { comm, t in
        // One poisoned sample lands in ONE rank's share of some batch; every rank must stop at that step,
        // with the parameters of the step before.
        let data = SyntheticSamples(count: 150, features: 12, kind: .classes(4), seed: 77)
        let order = EpochShuffle(count: 150, seed: 11).permutation(epoch: 0)
        data.poisoned = [order[3 * 16 + 5]]  // global batch 3 (4th step)
        let trainer = try checkTrainer(comm, globalBatch: 16, source: data)
        for _ in 0 ..< 3 { try trainer.trainStep() }
        let good = trainer.model.store.values
        let goodState = try trainer.exportState()
        do {
            try trainer.trainStep()
            t.expect(false, "a NaN loss must throw")
        } catch let e as TrainingError {
            if case let .nonFinite(step, loss, _) = e { t.expect(step == 3 && !loss.isFinite, "step \(step), loss \(loss)") }
            else { t.expect(false, "wrong error \(e)") }
        }
        t.expect(trainer.model.store.values == good, "a non-finite loss applies no update")
        t.expect((try? trainer.trainStep()) == nil && (try? trainer.exportState()) == nil, "the trainer refuses to go on")
        try trainer.restore(goodState)
        t.expect(trainer.step == 3, "restore clears the failure")
    },
    MPICheck("training.shared-memory-groups") { comm, t in
        // Groups of 2 consecutive ranks play the nodes: on 4 ranks two "nodes" whose slices are allreduced
        // between them (the several-node path), on 2 one node, on 3 groups of 2 and 1 (a group of one rank:
        // the allreduce runs instead, and says why). Against one rank, with and without clipping (the
        // clipped step sums whole slices before the norm, the unclipped one fuses sum and update per chunk).
        // Each with the Dense weight gradients computed per slice over the group's batch, and summed.
        for (clip, partition) in [(nil, true), (Float(0.05), true), (nil, false), (Float(0.05), false)] as [(Float?, Bool)] {
            let multi = try checkTrainer(comm, globalBatch: 24, clip: clip, shared: true, group: 2, partition: partition)
            let solo = try soloTrainer(comm, globalBatch: 24, clip: clip)
            let expectShared = comm.size == 2 || comm.size == 4
            t.expect(multi.usesSharedMemory == expectShared, "shared memory on \(comm.size) ranks in groups of 2: \(multi.reductionDescription)")
            if comm.size == 4 { t.expect(multi.reductionDescription.contains("over 2 nodes"), "names the nodes: \(multi.reductionDescription)") }
            if comm.size == 3 { t.expect(multi.reductionDescription.contains("holds 1 rank"), "says why not: \(multi.reductionDescription)") }
            var m: StepMetrics?, s: StepMetrics?
            for _ in 0 ..< 20 { m = try multi.trainStep(); s = try solo.trainStep() }
            let d = relativeDifference(multi.model.store.values, solo.model.store.values)
            t.expect(d < 1e-5, "clip \(String(describing: clip)) partition \(partition): groups of 2 and one rank differ by \(d)")
            t.expectClose(m!.gradientNorm, s!.gradientNorm, rel: 1e-4, "gradient norm")
            try multi.verifyReplicas()
        }
    },
    MPICheck("training.non-finite-gradient-stops-every-rank") { comm, t in
        // The loss stays finite; one rank's gradient of one parameter in the MIDDLE of the model becomes
        // NaN. The sum spreads it to every rank, which all stop in the same step; with the allreduce the
        // bucket above it (reduced first) may already be updated, the ones holding the NaN are not; with
        // the node's shared memory slices summed before the NaN may be updated. Either way no NaN reaches
        // the parameters and the failed trainer refuses to go on until a restore.
        for shared in [false, true] {
            let rows = DataParallelTrainer.localCapacity(globalBatch: 16, ranks: comm.size)
            let poison = GradientPoison()
            let model = try Sequential(inputFeatures: 12, batch: rows, seed: 5, [
                Dense(outputs: 32), GELU(), poison, Dense(outputs: 24), Tanh(), Dense(outputs: 4),
            ])
            let trainer = try DataParallelTrainer(
                model: model, loss: SoftmaxCrossEntropy(classes: 4, batch: rows),
                optimizer: Adam(parameterCount: model.store.count), schedule: .constant(1e-2),
                training: SyntheticSamples(count: 150, features: 12, kind: .classes(4), seed: 77),
                configuration: TrainingConfiguration(globalBatch: 16, seed: 11, bucketBytes: 1024, sharedMemory: shared), communicator: comm)
            t.expect(trainer.bucketPlan.buckets.count >= 2, "several buckets")
            t.expect(trainer.usesSharedMemory == (shared && comm.size > 1), "shared memory exactly when asked on several ranks")
            try trainer.trainStep()
            let before = trainer.model.store.values
            poison.poison = comm.rank == comm.size - 1
            do {
                try trainer.trainStep()
                t.expect(false, "shared \(shared): a NaN gradient must throw on every rank")
            } catch let e as TrainingError {
                if case let .nonFinite(step, loss, norm) = e {
                    t.expect(step == 1 && loss.isFinite && norm.isNaN, "step \(step), loss \(loss), norm \(norm)")
                } else { t.expect(false, "wrong error \(e)") }
            }
            let after = trainer.model.store.values
            t.expect(after.allSatisfy { $0.isFinite }, "shared \(shared): no NaN reached the parameters")
            if !shared {
                let poisonBucket = trainer.bucketPlan.buckets.firstIndex { $0.range.contains(model.store.views[2].offset) }!
                for k in poisonBucket ..< trainer.bucketPlan.buckets.count {
                    let r = trainer.bucketPlan.buckets[k].range
                    t.expect(Array(after[r]) == Array(before[r]), "bucket \(k) (with or below the NaN) is not updated")
                }
            }
            do { try trainer.trainStep(); t.expect(false, "a failed trainer must refuse to step") } catch TrainingError.unusableAfterFailure {}
        }
    },
    MPICheck("training.load-error-stops-every-rank") { comm, t in
        // The sample that fails to load is in the LAST rank's share only; every rank must throw in that
        // step (the others learn it from the reduced flag) instead of waiting in a collective.
        let data = SyntheticSamples(count: 150, features: 12, kind: .classes(4), seed: 77)
        let order = EpochShuffle(count: 150, seed: 11).permutation(epoch: 0)
        data.unreadable = [order[16 + 15]]  // global batch 1, last position
        let trainer = try checkTrainer(comm, globalBatch: 16, source: data)
        try trainer.trainStep()
        do {
            try trainer.trainStep()
            t.expect(false, "a failed load must throw on every rank")
        } catch is SyntheticSamples.Unreadable {
            t.expect(comm.rank == comm.size - 1, "the loading rank rethrows the source's error")
        } catch let e as TrainingError {
            t.expect(comm.rank != comm.size - 1 && "\(e)".contains("another rank failed to load"), "\(e)")
        }
    },
]
